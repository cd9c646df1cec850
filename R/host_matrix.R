# Host: a features x cells matrix (dgCMatrix or other Matrix, dense matrix, data.frame, or an
# on-disk DelayedArray such as HDF5Array::TENxMatrix), and the DataFrame annotate_cells()
# returns for one. Results come back as plain objects: a DataFrame, a matrix.

#' @exportS3Method host_counts default
host_counts.default <- function(x, assay = NULL, layer = NULL, arg = "x", call = parent.frame()) {
  if (!is.null(assay) || !is.null(layer)) {
    cli::cli_warn("{.arg assay} and {.arg layer} are ignored for a {.cls {class(x)[1]}} {.arg {arg}}.", call = call)
  }
  x
}

#' @exportS3Method host_cell_data default
host_cell_data.default <- function(x) NULL

#' @exportS3Method host_peak_ranges default
host_peak_ranges.default <- function(x, assay = NULL) {
  # Signac's ChromatinAssay keeps its peaks in the "ranges" slot (no Signac call needed).
  if (isS4(x) && methods::.hasSlot(x, "ranges") && methods::is(methods::slot(x, "ranges"), "GRanges")) {
    return(methods::slot(x, "ranges"))
  }
  NULL
}

#' @exportS3Method host_add_annotation default
host_add_annotation.default <- function(x, result, info, prefix) {
  attr(result, "feature_mapping") <- info$feature_mapping
  S4Vectors::metadata(result) <- info
  result
}

#' @exportS3Method host_annotation default
host_annotation.default <- function(x, prefix) NULL

#' @exportS3Method host_add_embedding default
host_add_embedding.default <- function(x, embedding, model_id, name) embedding

#' @exportS3Method host_embedding default
host_embedding.default <- function(x, reduction, call = parent.frame()) {
  if (!is.matrix(x) || !is.numeric(x) || ncol(x) < 2L || !all(is.finite(x))) {
    cli::cli_abort(c("{.arg x} must be a finite numeric cells x dimensions matrix (at least 2 columns), or a Seurat / SingleCellExperiment object.",
                     "i" = "Make one with {.code embed_cells(model, counts)}."), call = call)
  }
  x
}

# annotate_cells()'s result for a matrix: its columns have no prefix.
#' @exportS3Method host_annotation DataFrame
host_annotation.DataFrame <- function(x, prefix) if (all(c("labels", "max.prob") %in% names(x))) x else NULL

#' @exportS3Method host_add_annotation DataFrame
host_add_annotation.DataFrame <- function(x, result, info, prefix) {
  for (column in names(result)) x[[column]] <- result[[column]]
  x
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
