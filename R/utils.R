# Small helpers with no scLM dependencies.

`%||%` <- function(a, b) if (is.null(a)) b else a

# Joins results that are lists of matrices (one per block of cells), field by field.
rbind_fields <- function(...) {
  parts <- list(...)
  lapply(stats::setNames(nm = names(parts[[1]])), function(f) do.call(rbind, lapply(parts, `[[`, f)))
}

# Counts per `scale_factor` of each cell's total (a features x cells dgCMatrix; a cell without
# counts has no entries to scale).
per_cell_scaled <- function(m, scale_factor = 1e4) {
  m@x <- m@x / rep(Matrix::colSums(m), diff(m@p)) * scale_factor
  m
}

# The same, log1p.
log_normalise <- function(m, scale_factor = 1e4) {
  m <- per_cell_scaled(m, scale_factor)
  m@x <- log1p(m@x)
  m
}

# Per class (`classes`: 1-based, one per column of `m`), the sums of the rows of `m` over the
# class's cells: a nrow(m) x n_classes matrix.
class_sum_matrix <- function(m, classes, n_classes) {
  as.matrix(m %*% Matrix::sparseMatrix(seq_along(classes), classes, x = 1, dims = c(length(classes), n_classes)))
}
