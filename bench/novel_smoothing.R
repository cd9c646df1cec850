# Novel (left-out) types with the kNN distance score smoothed over the query's own neighbours
# (no classifier: scores of the reference's expression space, as unknown_method = "knn" reads).
# Each type of a task's reference left out in turn; per cell, the cosine distance to its 10th
# nearest reference cell; then, per query cell, the mean of that score over its `k_smooth`
# nearest query cells (itself included), the reference's own scores (each cell leaving itself
# out) smoothed the same way over the reference's neighbours, cut at their 95% quantile.
# A type's cells lie together, so a shift of its cells' scores that one cell's noise hides
# stands out in their mean; a query shifted as a whole by its batch shifts every cell's mean too.
# calibration median_ratio / median_shift / quartile_shift / smaller_shift: per cell, the cut-off moved
# by the query's median score (scaled by the ratio of the medians, shifted by their difference), by
# its lower quartile's difference, or by the smaller of the two differences (the package's rule).
#   Rscript bench/novel_smoothing.R <task ...>   (tasks of bench/annotation_common.R;
#   results appended to bench/results/novel_smoothing.tsv)
source("bench/annotation_common.R")
out <- "bench/results/novel_smoothing.tsv"
k_ref <- 10L
unit <- scLM:::unit_rows
# 1 - cosine similarity to the k-th most similar row of `ref` (the package's "knn" distance; a
# reference cell's own row is its first)
kth <- scLM:::knn_distance
# indices of each row's k most similar rows of the same matrix (itself included)
neighbours <- function(cells, k) {
  s <- tcrossprod(cells)
  t(apply(s, 1L, function(r) order(r, decreasing = TRUE)[seq_len(k)]))
}
smooth <- function(score, nn) rowMeans(matrix(score[nn], nrow(nn)))

# The reference's space (10 PCs of log-normalised top-2,000 variable genes; TF-IDF + LSI for peaks,
# 30 components without the first) with the query projected into it, both on the unit sphere.
space <- function(train, test, modality, n = if (modality == "atac") 30L else 10L) {
  if (modality == "atac") {
    s <- lsi(train, test, n = n)
    return(list(train = unit(s$train), test = unit(s$test)))
  }
  tr <- lognorm(train)
  te <- lognorm(test)
  mu <- Matrix::rowMeans(tr)
  v <- Matrix::rowMeans(tr^2) - mu^2
  genes <- order(-v)[seq_len(min(2000L, nrow(tr)))]
  set.seed(1)
  pca <- irlba::irlba(Matrix::t(tr[genes, ]), nv = n, center = mu[genes])
  list(train = unit(pca$u %*% diag(pca$d)),
       test = unit(as.matrix(Matrix::t(te[genes, ]) %*% pca$v) - matrix(drop(mu[genes] %*% pca$v), ncol(te), n, byrow = TRUE)))
}

for (name in commandArgs(TRUE)) {
  task <- annotation_tasks[[name]]()
  if (ncol(task$train) > 6000) {  # keep the reference's all-pairs similarities small
    set.seed(1)
    keep <- sort(sample.int(ncol(task$train), 6000))
    task$train <- task$train[, keep]
    task$train_labels <- task$train_labels[keep]
  }
  rows <- list()
  for (type in sort(unique(task$train_labels))) {
    novel <- task$test_labels == type
    if (!any(novel)) next
    known <- task$train_labels != type
    e <- space(task$train[, known], task$test, task$modality)
    ref_score <- kth(e$train, e$train, k_ref + 1L)
    query_score <- kth(e$test, e$train, k_ref)
    nn_query <- neighbours(e$test, 30L)
    nn_ref <- neighbours(e$train, 30L)
    # per cell, with the reference's cut-off moved by how much further the query's median cell
    # lies from the reference than the reference's median cell (never lowered): scaled by the
    # ratio of the medians, or shifted by their difference
    # "_half": the same on a query of as many known cells (drawn) as left-out ones, half of it unknown
    cutoff <- unname(stats::quantile(ref_score, 0.95))
    set.seed(1)
    half <- c(which(novel), sample(which(!novel), min(sum(!novel), sum(novel))))
    for (query in list(list(suffix = "", cells = seq_along(novel)), list(suffix = "_half", cells = half))) {
      score <- query_score[query$cells]
      at <- function(q) max(0, unname(stats::quantile(score, q) - stats::quantile(ref_score, q)))
      moved <- c(median_ratio = max(1, stats::median(score) / stats::median(ref_score)) * cutoff,
                 median_shift = cutoff + at(0.5), quartile_shift = cutoff + at(0.25),
                 smaller_shift = cutoff + min(at(0.25), at(0.5)))
      for (calibration in names(moved)) {
        flagged <- score > moved[[calibration]]
        is_novel <- novel[query$cells]
        rows[[length(rows) + 1L]] <- data.frame(task = name, left_out = type, n_left_out_test = sum(novel), k_smooth = 1L,
                                                calibration = paste0(calibration, query$suffix),
                                                novel_flagged = round(mean(flagged[is_novel]), 4),
                                                known_flagged = round(mean(flagged[!is_novel]), 4), novel_at_5pct_known = NA)
      }
    }
    for (k_smooth in c(1L, 5L, 15L, 30L)) {
      q <- smooth(query_score, nn_query[, seq_len(k_smooth), drop = FALSE])
      r <- smooth(ref_score, nn_ref[, seq_len(k_smooth), drop = FALSE])
      flagged <- q > stats::quantile(r, 0.95)
      # the best any cut-off of this score could do: the share of novel cells above the score that
      # flags 5% of the known query cells
      oracle <- mean(q[novel] > stats::quantile(q[!novel], 0.95))
      row <- data.frame(task = name, left_out = type, n_left_out_test = sum(novel), k_smooth = k_smooth, calibration = "reference",
                        novel_flagged = round(mean(flagged[novel]), 4), known_flagged = round(mean(flagged[!novel]), 4),
                        novel_at_5pct_known = round(oracle, 4))
      print(row, row.names = FALSE)
      rows[[length(rows) + 1L]] <- row
    }
  }
  res <- do.call(rbind, rows)
  print(aggregate(cbind(novel_flagged, known_flagged, novel_at_5pct_known) ~ k_smooth + calibration, res,
                  function(v) stats::median(v, na.rm = TRUE), na.action = stats::na.pass))
  utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                     col.names = !file.exists(out))
}
