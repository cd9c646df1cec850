# Small helpers with no scLM dependencies.

`%||%` <- function(a, b) if (is.null(a)) b else a

# Joins results that are lists of matrices (one per block of cells), field by field.
rbind_fields <- function(...) {
  parts <- list(...)
  lapply(stats::setNames(nm = names(parts[[1]])), function(f) do.call(rbind, lapply(parts, `[[`, f)))
}

# The rows of `counts` (cells in columns) summed into a vocabulary of n features: row r goes to
# feature index[r] + 1 (0-based index; -1 for rows outside the vocabulary).
vocabulary_counts <- function(counts, index, n) {
  ok <- index >= 0L
  Matrix::sparseMatrix(i = index[ok] + 1L, j = which(ok), x = 1, dims = c(n, nrow(counts))) %*% counts
}

# Counts per `scale_factor` of each cell's total, log1p (a features x cells dgCMatrix whose
# cells all hold counts).
log_normalise <- function(m, scale_factor = 1e4) {
  m@x <- log1p(m@x / rep(Matrix::colSums(m), diff(m@p)) * scale_factor)
  m
}
