# The cell source: opens a verb's input once (through its host), checks its shape and feature
# names once, and hands out checked dgCMatrix blocks of cells. In-memory sparse input is one
# block (no copy); other input (dense, on-disk DelayedArray) is read `options(scLM.block_cells)`
# cells at a time (default 20,000), so on-disk data are never realised whole. The values of each
# block are checked the first time it is read and not again: a training matrix read in several
# passes (vocabulary, tokens, calibration) is validated once. `source$state$checks` counts the
# blocks validated.

# `empty_cells = TRUE` (inference) lets cells without counts through (they get no result, see
# run_on_cells()); training refuses them.
cell_source <- function(x, assay = NULL, layer = NULL, arg = "x", call = parent.frame(), empty_cells = FALSE) {
  m <- check_matrix_shape(host_counts(x, assay, layer, arg, call), arg, call)
  source <- new_cell_source(m, arg, call)
  source$state$empty_cells <- empty_cells
  source
}

# A verb's datasets `x` (one host, or a plain list of them: pretrain()'s datasets, finetune()'s
# references) and a cell source for each, named `x` or `x[[k]]` in errors; `listed`: whether `x`
# was a list.
dataset_sources <- function(x, assay = NULL, layer = NULL, call = parent.frame()) {
  listed <- is.list(x) && !is.object(x)
  datasets <- if (listed) x else list(x)
  if (length(datasets) == 0L) cli::cli_abort("{.arg x} is an empty list; give at least one dataset.", call = call)
  sources <- lapply(seq_along(datasets), function(k) {
    cell_source(datasets[[k]], assay, layer, arg = if (length(datasets) > 1L) sprintf("x[[%d]]", k) else "x", call = call)
  })
  list(datasets = datasets, sources = sources, listed = listed)
}

# A cell source over a features x cells matrix whose shape and names are already checked.
new_cell_source <- function(m, arg = "x", call = parent.frame()) {
  state <- new.env(parent = emptyenv())
  state$checks <- 0L
  state$checked <- list()  # checked blocks kept for later passes (in-memory input only)
  structure(list(matrix = m, n_cells = ncol(m), features = rownames(m), cells = colnames(m), arg = arg,
                 call = call, block_cells = getOption("scLM.block_cells", 20000L), state = state),
            class = "scLM_cell_source")
}

# A cell source that reads the checked blocks of cell source `parent` through `transform` (a
# function of a dgCMatrix of cells whose rows become `features`) and checks what it hands out in
# turn: scATAC peaks become peak islands block by block, so on-disk peaks are never realised
# whole, and each block is still checked once as peaks and once as islands.
derived_source <- function(parent, transform, features, arg = parent$arg) {
  source <- new_cell_source(parent$matrix, arg, parent$call)
  source$features <- features
  source$parent <- parent
  source$transform <- transform
  source
}

# The number of cells of each cell source of `sources`.
cell_counts <- function(sources) vapply(sources, function(s) as.numeric(s$n_cells), numeric(1))

# Per cell source of `sources`, which of `cells` (increasing, numbered through all the sources) it
# holds, numbered within it.
cells_per_source <- function(sources, cells) {
  ends <- cumsum(cell_counts(sources))
  starts <- ends - cell_counts(sources)
  lapply(seq_along(sources), function(k) cells[cells > starts[k] & cells <= ends[k]] - starts[k])
}

# Cell source `source` cut to its rows of `genes` (finetune() on references of different genes:
# the genes all of them hold), block by block. A cell left without counts passes, read as empty.
gene_subset <- function(source, genes) {
  keep <- source$features %in% genes
  if (all(keep)) return(source)
  cut <- derived_source(source, function(m) m[keep, , drop = FALSE], source$features[keep])
  cut$state$empty_cells <- TRUE
  cut
}

# `x` as a cell source: itself, or a new one over a matrix.
as_cell_source <- function(x, arg = "x", call = parent.frame()) {
  if (inherits(x, "scLM_cell_source")) x else new_cell_source(check_matrix_shape(x, arg, call), arg, call)
}

# Applies fn to the checked blocks of `source`, in cell order, and joins the results with `combine`.
source_blocks <- function(source, fn, combine = rbind) {
  starts <- block_starts(source)
  do.call(combine, lapply(seq_along(starts), function(k) fn(source_block(source, k))))
}

# Calls fn on each checked block in cell order for its side effects.
source_walk <- function(source, fn) {
  for (k in seq_along(block_starts(source))) fn(source_block(source, k))
  invisible(NULL)
}

# Per column of dgCMatrix `m`: whether it has a non-zero entry in a row where `rows` is TRUE
# (one pass over the entries, no copy).
cells_with_features <- function(m, rows) sclm_columns_with_rows(m, rows)

# Per class (`classes`: 1-based, one per cell of `source`), the sums over its cells of the rows of
# value(block), one pass over the blocks: a matrix of n_classes columns.
source_class_sums <- function(source, classes, n_classes, value) {
  sums <- 0
  first <- 1L
  source_walk(source, function(counts) {
    cells <- first:(first + ncol(counts) - 1L)
    first <<- first + ncol(counts)
    sums <<- sums + class_sum_matrix(value(counts), classes[cells], n_classes)
  })
  sums
}

block_starts <- function(source) {
  if (single_block(source)) 1L else seq.int(1L, source$n_cells, by = source$block_cells)
}

single_block <- function(source) is(source$matrix, "dgCMatrix") || source$n_cells <= source$block_cells

# Block k, checked (once).
source_block <- function(source, k) {
  state <- source$state
  if (single_block(source)) {
    if (is.null(state$checked[["1"]])) {
      m <- if (is.null(source$parent)) source$matrix else source$transform(source_block(source$parent, 1L))
      state$checked[["1"]] <- check_counts(m, source$arg, source$call, state)
      state$checks <- state$checks + 1L
    }
    return(state$checked[["1"]])
  }
  first <- block_starts(source)[k]
  block <- if (is.null(source$parent)) {
    as_dgc(read_cell_block(source$matrix, first, min(source$n_cells, first + source$block_cells - 1L)))
  } else {
    source$transform(source_block(source$parent, k))
  }
  if (is.null(state$checked[[as.character(k)]])) {
    block <- check_counts(block, source$arg, source$call, state)
    state$checked[[as.character(k)]] <- TRUE  # on-disk blocks are read again, not kept
    state$checks <- state$checks + 1L
    return(block)
  }
  undo_log(block, state$scale)
}

# Cells `cols` (increasing) of `source` as a sparse matrix, unchecked; larger input is read a
# block at a time, so it is never realised whole.
source_cells <- function(source, cols) {
  if (!is.null(source$parent)) return(undo_log(source$transform(source_cells(source$parent, cols)), source$state$scale))
  m <- source$matrix
  if (single_block(source)) {
    part <- if (methods::is(m, "dgCMatrix")) dgc_columns(m, cols) else as_dgc(m[, cols, drop = FALSE])
    return(undo_log(part, source$state$scale))
  }
  parts <- lapply(block_starts(source), function(s) {
    last <- min(source$n_cells, s + source$block_cells - 1L)
    wanted <- cols[cols >= s & cols <= last]
    if (length(wanted)) read_cell_block(m, s, last)[, wanted - s + 1L, drop = FALSE]
  })
  undo_log(as_dgc(do.call(cbind, Filter(Negate(is.null), parts))), source$state$scale)
}

# `n_runs` evenly spaced runs of cells, one block in all, as one checked dgCMatrix; all cells
# when the source is one block.
source_sample <- function(source, n_runs = 20L) {
  if (single_block(source)) return(source_block(source, 1L))
  if (!is.null(source$parent)) {
    return(check_counts(source$transform(source_sample(source$parent, n_runs)), source$arg, source$call, source$state))
  }
  run <- max(1L, source$block_cells %/% n_runs)
  starts <- unique(round(seq(1, source$n_cells - run + 1, length.out = n_runs)))
  check_counts(as_dgc(do.call(cbind, lapply(starts, function(s) read_cell_block(source$matrix, s, s + run - 1L)))),
               source$arg, source$call, source$state)
}

# The shape of a host's counts: a numeric matrix with cells, features and unique feature names.
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

# Columns `cols` of dgCMatrix `m`, read off its slots (Matrix's `[` took 0.3 s for 1,000 of 5,000
# cells of 15,000 genes).
dgc_columns <- function(m, cols) {
  start <- m@p[cols]
  n <- m@p[cols + 1L] - start
  entries <- sequence(n, from = start + 1L)
  dgc_from_parts(list(p = c(0L, cumsum(n)), i = m@i[entries], x = m@x[entries], n_rows = nrow(m)),
                 rownames(m), colnames(m)[cols])
}

# Dense input is converted to sparse (smaller, not denser).
as_dgc <- function(m) {
  if (is(m, "dgCMatrix")) m else methods::as(methods::as(methods::as(m, "CsparseMatrix"), "generalMatrix"), "dMatrix")
}

# Checks the values of a block of cells and returns it as a dgCMatrix of counts or per-cell
# normalised values: log-normalised input (R/log_normalised.R) is recognised on the first block a
# source checks (`state$scale`, with a message) and undone in every block.
check_counts <- function(m, arg, call, state) {
  m <- as_dgc(m)
  scan <- sclm_scan_values(m@x)  # one pass: NA, infinite, negative and non-whole values
  if (scan[["missing"]] > 0) cli::cli_abort("{.arg {arg}} has {scan[['missing']]} NA/NaN value{?s}; counts must be finite.", call = call)
  if (scan[["infinite"]] > 0) cli::cli_abort("{.arg {arg}} has infinite values; counts must be finite.", call = call)
  if (scan[["negative"]] > 0) {
    cli::cli_abort(c("{.arg {arg}} has {scan[['negative']]} negative value{?s}: scaled data or residuals, not counts.",
                     "i" = "Pass raw counts ({.code layer = \"counts\"} for Seurat, {.code assay = \"counts\"} for a SingleCellExperiment) or log-normalised values ({.code layer = \"data\"}, {.code assay = \"logcounts\"})."),
                   call = call)
  }
  if (is.null(state$scale)) {
    state$scale <- value_scale(m, arg, call, whole = scan[["fractional"]] == 0)
    if (identical(state$scale$kind, "log")) {
      cli::cli_inform(c("i" = "{.arg {arg}} holds log-normalised values ({value_scale_text(state$scale)}); scLM undoes the log to the per-cell normalised values its tokenizers use."))
    }
  }
  scale <- state$scale
  empty <- diff(m@p) == 0L | Matrix::colSums(m) == 0
  if (any(empty) && !isTRUE(state$empty_cells)) {
    cli::cli_abort(c("{.arg {arg}} has {sum(empty)} cell{?s} with no counts: {.val {head(colnames(m)[empty], 5)}}.",
                     "i" = "Remove them first, e.g. {.code x[, Matrix::colSums(x) > 0]}."), call = call)
  }
  if (identical(scale$kind, "log")) return(undo_log(m, scale))
  if (scan[["fractional"]] > 0) {
    cli::cli_warn(c("{.arg {arg}} has non-integer values; scLM expects raw counts.",
                    "i" = "If these are normalised values, pass the counts layer instead."), call = call)
  }
  m
}
