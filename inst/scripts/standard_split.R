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

macro_f1 <- function(truth, predicted) {
  mean(vapply(sort(unique(truth)), function(cl) {
    tp <- sum(predicted == cl & truth == cl)
    precision <- if (sum(predicted == cl)) tp / sum(predicted == cl) else 0
    recall <- tp / sum(truth == cl)
    if (precision + recall == 0) 0 else 2 * precision * recall / (precision + recall)
  }, numeric(1)))
}
