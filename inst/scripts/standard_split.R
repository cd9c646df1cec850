# Shared by the demo and the bench scripts: the project's standard split and metrics (../shared/data/README.md).
stratified_split <- function(labels, test_frac = 0.2, seed = 1) {
  set.seed(seed); te <- integer(0)
  for (cl in sort(unique(labels))) {
    ii <- which(labels == cl); k <- round(test_frac * length(ii))
    if (length(ii) >= 2) k <- max(k, 1L)
    if (k > 0) te <- c(te, ii[sample.int(length(ii), k)])
  }
  te <- sort(te); list(train = setdiff(seq_along(labels), te), test = te)
}

# The same macro-F1 that plot_confusion() reports.
macro_f1 <- utils::getFromNamespace("macro_f1", "scLM")
