# Novel (left-out) types found by a reference-vs-query discriminator (a classifier two-sample
# test; no cell-type classifier): each type of a task's reference left out in turn; a logistic
# model tells the reference's cells from the query's, and each cell's out-of-fold probability of
# being a query cell is its novelty score. Known query cells look like reference cells (a
# probability near the share of query cells), a type the reference lacks sits where only query
# cells are. Cut at the 95% quantile of the reference cells' own out-of-fold scores.
# Features: "peaks" = TF-IDF of the peaks (scATAC) or log1p(CP10k) of the 2,000 most variable genes
# of reference and query together, lasso (glmnet path of 20, its 10th penalty); "lsi" = 50 LSI
# components of reference and query together (peaks only), an almost unpenalised fit.
#   Rscript bench/novel_discriminator.R <peaks|lsi> <task ...>
#   (tasks of bench/annotation_common.R; results appended to bench/results/novel_discriminator.tsv)
source("bench/annotation_common.R")
out <- "bench/results/novel_discriminator.tsv"
args <- commandArgs(TRUE)
features <- match.arg(args[1], c("peaks", "lsi"))

discriminator_features <- function(x, modality) {
  if (features == "lsi") return(lsi(x, n = 50L)$train)
  if (modality == "atac") return(Matrix::t(tfidf(x)$x))
  l <- lognorm(x)
  v <- Matrix::rowMeans(l^2) - Matrix::rowMeans(l)^2
  Matrix::t(l[order(-v)[seq_len(min(2000L, nrow(l)))], ])
}
# out-of-fold probabilities of y = 1 (5 folds stratified by y)
out_of_fold <- function(X, y) {
  set.seed(1)
  fold <- integer(length(y))
  for (v in 0:1) fold[y == v] <- sample(rep_len(1:5, sum(y == v)))
  p <- numeric(length(y))
  for (f in 1:5) {
    tr <- fold != f
    if (features == "lsi") {
      m <- glmnet::glmnet(X[tr, ], y[tr], family = "binomial", lambda = 1e-4)
      p[!tr] <- stats::predict(m, X[!tr, ], s = 1e-4, type = "response")
    } else {
      m <- glmnet::glmnet(X[tr, ], y[tr], family = "binomial", nlambda = 20)
      p[!tr] <- stats::predict(m, X[!tr, ], s = m$lambda[min(10L, length(m$lambda))], type = "response")
    }
  }
  p
}

for (name in args[-1]) {
  task <- annotation_tasks[[name]]()
  rows <- list()
  for (type in sort(unique(task$train_labels))) {
    novel <- task$test_labels == type
    if (!any(novel)) next
    known <- task$train_labels != type
    y <- rep(0:1, c(sum(known), ncol(task$test)))
    p <- out_of_fold(discriminator_features(cbind(task$train[, known], task$test), task$modality), y)
    ref <- p[y == 0]
    q <- p[y == 1]
    flagged <- q > stats::quantile(ref, 0.95)
    set.seed(1)
    row <- data.frame(task = name, features = features, left_out = type, n_left_out_test = sum(novel),
                      novel_flagged = round(mean(flagged[novel]), 4), known_flagged = round(mean(flagged[!novel]), 4),
                      # the best any cut-off could do, and how far known query cells lie from the
                      # reference's (0.5: not told apart; across batches the discriminator finds the batch)
                      novel_at_5pct_known = round(mean(q[novel] > stats::quantile(q[!novel], 0.95)), 4),
                      auc_known_vs_reference = round(mean(outer(q[!novel], sample(ref, min(2000L, length(ref))), ">")), 4))
    print(row, row.names = FALSE)
    rows[[length(rows) + 1L]] <- row
  }
  res <- do.call(rbind, rows)
  print(sapply(res[, c("novel_flagged", "known_flagged", "novel_at_5pct_known", "auc_known_vs_reference")], stats::median))
  utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                     col.names = !file.exists(out))
}
