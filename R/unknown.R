# Scores for cells unlike any reference type (out of distribution), calibrated at fine-tuning on
# the held-out validation cells: a query cell is flagged when its score exceeds the score of
# `quantile` of those held-out reference cells (by default 95%, i.e. about 5% false flags on
# cells of known types).
#  * "mahalanobis": distance of the cell embedding to the nearest class mean, with one covariance
#    shared by all classes (Lee et al. 2018).
#  * "energy": -logsumexp(logits) (Liu et al. 2020).

unknown_methods <- c("max_prob", "mahalanobis", "energy")

calibrate_unknown <- function(logits, embeddings, codes, validation, quantile) {
  if (length(validation) < 10L) return(NULL)  # too few held-out cells to calibrate on
  fit <- setdiff(seq_along(codes), validation)
  y <- codes[fit] + 1L
  n_classes <- ncol(logits)
  sums <- rowsum(embeddings[fit, , drop = FALSE], factor(y, levels = seq_len(n_classes)), reorder = TRUE)
  means <- sums / pmax(tabulate(y, n_classes), 1L)
  centered <- embeddings[fit, , drop = FALSE] - means[y, , drop = FALSE]
  covariance <- crossprod(centered) / max(1, length(fit) - n_classes)
  # A small ridge keeps the inverse stable when embedding dimensions are nearly collinear.
  covariance <- covariance + diag(1e-3 * mean(diag(covariance)) + 1e-8, ncol(covariance))
  ood <- list(means = means, precision = solve(covariance), quantile = quantile, cutoff = list())
  for (method in c("mahalanobis", "energy")) {
    ood$cutoff[[method]] <- unname(stats::quantile(unknown_score(method, logits[validation, , drop = FALSE],
                                                                 embeddings[validation, , drop = FALSE], ood), quantile))
  }
  ood
}

unknown_score <- function(method, logits, embeddings, ood) {
  switch(method,
    energy = -log_sum_exp(logits),
    mahalanobis = {
      distances <- vapply(seq_len(nrow(ood$means)), function(k) {
        d <- sweep(embeddings, 2L, ood$means[k, ])
        rowSums((d %*% ood$precision) * d)
      }, numeric(nrow(embeddings)))
      apply(matrix(distances, nrow(embeddings)), 1L, min)
    })
}

log_sum_exp <- function(logits) {
  top <- apply(logits, 1L, max)
  top + log(rowSums(exp(logits - top)))
}

softmax_rows <- function(logits) {
  p <- exp(logits - apply(logits, 1L, max))
  p / rowSums(p)
}
