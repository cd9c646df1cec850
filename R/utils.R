# Small helpers with no scLM dependencies.

`%||%` <- function(a, b) if (is.null(a)) b else a

# Joins results that are lists of matrices (one per block of cells), field by field.
rbind_fields <- function(...) {
  parts <- list(...)
  lapply(stats::setNames(nm = names(parts[[1]])), function(f) do.call(rbind, lapply(parts, `[[`, f)))
}
