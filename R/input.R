# Input adapters: every verb turns its `x` into checked dgCMatrix counts (features x cells)
# with feature and cell names, taken by reference from the host object where possible.
# On-disk / DelayedArray input is read in blocks of cells (map_cell_blocks), so such data are
# never realised whole (training: R/training_data.R).

# Applies fn to checked dgCMatrix blocks of the cells of `m` (from cell_source()) and joins the
# results with `combine`. In-memory sparse input is one block (no copy).
map_cell_blocks <- function(m, fn, combine = rbind, block_cells = getOption("scLM.block_cells", 20000L),
                            arg = "x", call = parent.frame()) {
  if (is(m, "dgCMatrix") || ncol(m) <= block_cells) return(fn(as_counts(m, arg, call)))
  starts <- seq.int(1L, ncol(m), by = block_cells)
  do.call(combine, lapply(starts, function(s) {
    fn(as_counts(read_cell_block(m, s, min(ncol(m), s + block_cells - 1L)), arg, call))
  }))
}

# Columns `cols` (increasing) of `m` as a sparse matrix, unchecked; on-disk input larger than a
# block is read a block of cells at a time, so it is never realised whole.
read_cells <- function(m, cols) {
  block_cells <- getOption("scLM.block_cells", 20000L)
  if (is(m, "dgCMatrix") || ncol(m) <= block_cells) return(methods::as(m[, cols, drop = FALSE], "CsparseMatrix"))
  parts <- lapply(seq.int(1L, ncol(m), by = block_cells), function(s) {
    last <- min(ncol(m), s + block_cells - 1L)
    wanted <- cols[cols >= s & cols <= last]
    if (length(wanted)) read_cell_block(m, s, last)[, wanted - s + 1L, drop = FALSE]
  })
  do.call(cbind, Filter(Negate(is.null), parts))
}

# Cells first..last of `m`. A sparse DelayedArray (e.g. HDF5Array::TENxMatrix) is read as a
# sparse block: subsetting and coercing it instead passes through dense blocks (on 5,000 pbmc3k
# cells from a 10x HDF5 file: 324 MB more peak memory than reading the sparse block).
read_cell_block <- function(m, first, last) {
  if (!is(m, "DelayedMatrix") || !DelayedArray::is_sparse(m)) return(m[, first:last, drop = FALSE])
  viewport <- DelayedArray::ArrayViewport(dim(m), IRanges::IRanges(c(1L, first), c(nrow(m), last)))
  block <- methods::as(DelayedArray::read_sparse_block(m, viewport), "dgCMatrix")
  dimnames(block) <- list(rownames(m), colnames(m)[first:last])
  block
}

# Runs one of the core's inference entry points (sclm_classify with the classifier `weights`;
# sclm_embed, sclm_gene_attention with the encoder's) on the cells of `source` (from
# cell_source() on object `x`): features are mapped to the model's vocabulary once (map_cells()),
# then each block of cells is checked, transformed (peaks -> islands) and handed over.
# per_block(result, counts) post-processes a block's result before the blocks are joined with
# `combine`.
run_on_cells <- function(model, x, source, assay, core_fn, run, min_overlap, verbose, combine = rbind,
                         per_block = function(result, counts) result, weights = model$encoder_weights,
                         call = parent.frame()) {
  mapping <- map_cells(model$config, x, source, assay, min_overlap, verbose, call = call)
  result <- map_cell_blocks(source, function(counts) {
    counts <- mapping$transform(counts)
    per_block(call_core(core_fn(weights, core_model_of(model), core_tokenizer_config(model$config),
                                counts, mapping$index, run), call = call), counts)
  }, combine = combine, call = call)
  list(result = result, mapping = mapping$report)
}

# The host's genes x cells matrix, unchecked and not copied.
cell_source <- function(x, assay = NULL, layer = NULL, arg = "x", call = parent.frame()) {
  m <- if (inherits(x, "Seurat")) {
    seurat_matrix(x, assay, layer, arg, call)
  } else if (is(x, "SummarizedExperiment")) {
    se_matrix(x, assay %||% layer, arg, call)
  } else {
    if (!is.null(assay) || !is.null(layer)) {
      cli::cli_warn("{.arg assay} and {.arg layer} are ignored for a {.cls {class(x)[1]}} {.arg {arg}}.", call = call)
    }
    x
  }
  check_matrix_shape(m, arg, call)
}

check_matrix_shape <- function(m, arg, call) {
  if (is.data.frame(m)) m <- as.matrix(m)
  if (!(is.matrix(m) || is(m, "Matrix") || is(m, "DelayedMatrix"))) {
    cli::cli_abort(c("{.arg {arg}} must be a Seurat or SingleCellExperiment object or a genes x cells matrix, not {.cls {class(m)[1]}}."),
                   call = call)
  }
  if (is.matrix(m) && !is.numeric(m)) {
    cli::cli_abort("{.arg {arg}} must hold numeric counts, not {.cls {typeof(m)}} values.", call = call)
  }
  if (ncol(m) == 0L) cli::cli_abort("{.arg {arg}} has no cells (0 columns).", call = call)
  if (nrow(m) == 0L) cli::cli_abort("{.arg {arg}} has no genes (0 rows).", call = call)
  check_feature_names(rownames(m), arg, call = call)
  if (is.null(colnames(m))) colnames(m) <- paste0("cell", seq_len(ncol(m)))
  m
}

seurat_matrix <- function(x, assay, layer, arg, call) {
  assay <- assay %||% SeuratObject::DefaultAssay(x)
  if (!assay %in% SeuratObject::Assays(x)) {
    cli::cli_abort(c("{.arg assay} {.val {assay}} is not an assay of {.arg {arg}}.",
                     "i" = "Available assays: {.val {SeuratObject::Assays(x)}}."), call = call)
  }
  layer <- layer %||% "counts"
  a <- x[[assay]]
  if (utils::packageVersion("SeuratObject") >= "5.0.0") {
    # SeuratObject 5 API, looked up at run time so the package also checks against version 4.
    available <- getExportedValue("SeuratObject", "Layers")(a)
    if (!layer %in% available) {
      cli::cli_abort(c("{.arg layer} {.val {layer}} is not a layer of assay {.val {assay}}.",
                       "i" = "Available layers: {.val {available}}."), call = call)
    }
    return(getExportedValue("SeuratObject", "LayerData")(a, layer = layer))
  }
  slots <- c("counts", "data", "scale.data")
  if (!layer %in% slots) {
    cli::cli_abort(c("{.arg layer} {.val {layer}} is not a layer of assay {.val {assay}}.",
                     "i" = "Available layers: {.val {slots}}."), call = call)
  }
  m <- SeuratObject::GetAssayData(a, slot = layer)
  if (length(m) == 0L) {
    cli::cli_abort("Layer {.val {layer}} of assay {.val {assay}} is empty.", call = call)
  }
  m
}

se_matrix <- function(x, assay, arg, call) {
  assay <- assay %||% "counts"
  available <- SummarizedExperiment::assayNames(x)
  if (!assay %in% available) {
    cli::cli_abort(c("{.arg assay} {.val {assay}} is not an assay of {.arg {arg}}.",
                     "i" = "Available assays: {.val {available}}."), call = call)
  }
  SummarizedExperiment::assay(x, assay, withDimnames = TRUE)
}

# Checks the values of a block of cells (from cell_source()) and returns it as a dgCMatrix.
# Dense input is converted to sparse (smaller, not denser).
as_counts <- function(m, arg, call) {
  if (!is(m, "dgCMatrix")) m <- methods::as(methods::as(methods::as(m, "CsparseMatrix"), "generalMatrix"), "dMatrix")
  values <- m@x
  if (anyNA(values)) cli::cli_abort("{.arg {arg}} has {sum(is.na(values))} NA/NaN value{?s}; counts must be finite.", call = call)
  if (any(is.infinite(values))) cli::cli_abort("{.arg {arg}} has infinite values; counts must be finite.", call = call)
  if (any(values < 0)) {
    cli::cli_abort(c("{.arg {arg}} has {sum(values < 0)} negative value{?s}; scLM needs raw counts.",
                     "i" = "Pass the counts layer (e.g. {.code layer = \"counts\"}), not scaled data."), call = call)
  }
  empty <- diff(m@p) == 0L | Matrix::colSums(m) == 0
  if (any(empty)) {
    cli::cli_abort(c("{.arg {arg}} has {sum(empty)} cell{?s} with no counts: {.val {head(colnames(m)[empty], 5)}}.",
                     "i" = "Remove them first, e.g. {.code x[, Matrix::colSums(x) > 0]}."), call = call)
  }
  if (any(values != round(values))) {
    # log1p-normalised values stay below ~15 (log1p(1e4 * 1e2)); counts in any real cell block go higher.
    if (max(values) < 16) {
      cli::cli_abort(c("{.arg {arg}} looks log-normalised (non-integer values, all below 16); scLM needs raw counts.",
                       "i" = "Pass the counts: {.code layer = \"counts\"} (Seurat), {.code assay = \"counts\"} (SingleCellExperiment) or the raw matrix."),
                     call = call)
    }
    cli::cli_warn(c("{.arg {arg}} has non-integer values; scLM expects raw counts.",
                    "i" = "If these are normalised values, pass the counts layer instead."), call = call)
  }
  m
}

`%||%` <- function(a, b) if (is.null(a)) b else a
