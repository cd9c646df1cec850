# Are the query cells that every method mislabels across labs mixtures of two types?
# For each task: the defaults (seeds of SCLM_BENCH_SEEDS), the linear baseline and SingleR label the
# query; each query cell's profile is then fitted as a mixture of two of the query's own class
# centroids (its labelled class and the best other one; the centroid of its own class leaves the
# cell out), on the classes' marker genes (values per 10,000; the genes on comparable scales).
# `label_share` is the weight of its labelled class (1: a clear cell of its class; 0.5: half another
# type). The cells that linear, SingleR and every seed miss are compared with the rest, and each
# method's macro-F1 is given on all cells and on the cells of label share at least 0.75. Beside
# them, a nearest-centroid rule (`centroid`: each query cell fitted by each reference class's
# centroid times a scale, on the reference's marker genes, scaled alike; the class of the smallest
# residual), which weighs a cell's whole profile.
#   Rscript bench/mixed_cells.R [task ...]   (default: the three cross-dataset tasks below issue 23's bar)
# Results (append): bench/results/mixed_cells.tsv (per task and method: macro-F1 on all cells and on
# the cells of label share >= 0.75) and bench/results/mixed_cells_cells.tsv (the cells missed by
# every method or of label share < 0.75, with each method's label).
source("bench/annotation_common.R")

# Per-cell values on a common scale: counts (or a log-normalised set's undone values) per 10,000.
per_10k <- function(m) {
  if (!all(m@x == round(m@x))) m@x <- 2^m@x - 1  # the pancreas sets hold log2(1 + x)
  m %*% Diagonal(x = 1e4 / pmax(colSums(m), 1))
}

# Marker genes: the n with the highest log fold change of each class's mean over the other classes'.
marker_rows <- function(cp, labels, n = 30L) {
  means <- sapply(split(seq_along(labels), labels), function(i) rowMeans(cp[, i, drop = FALSE]))
  lm <- log1p(means)
  unique(unlist(lapply(colnames(lm), function(k) {
    others <- apply(lm[, colnames(lm) != k, drop = FALSE], 1, max)
    order(-(lm[, k] - others))[seq_len(n)]
  })))
}

# Each marker gene's weight that puts the genes on comparable scales (`x`: genes x cells, per 10,000).
marker_scale <- function(x) 1 / sqrt(1 + apply(x, 1, max))
# The genes x classes matrix of each class's mean cell.
class_centroids <- function(x, labels, classes) sapply(classes, function(k) rowMeans(x[, labels == k, drop = FALSE]))

# The weight of each cell's labelled class in its best two-class mixture of the classes' centroids.
label_share <- function(cp, labels) {
  rows <- marker_rows(cp, labels)
  x <- as.matrix(cp[rows, ])
  x <- x * marker_scale(x)
  classes <- sort(unique(labels))
  n <- table(labels)[classes]
  centroid <- class_centroids(x, labels, classes)
  vapply(seq_len(ncol(x)), function(j) {
    own <- labels[j]
    a <- (n[[own]] * centroid[, own] - x[, j]) / (n[[own]] - 1)  # leave the cell out
    best <- c(share = 1, err = sum((x[, j] - a)^2))
    for (k in setdiff(classes, own)) {
      d <- a - centroid[, k]
      w <- min(1, max(0, sum((x[, j] - centroid[, k]) * d) / sum(d^2)))
      err <- sum((x[, j] - w * a - (1 - w) * centroid[, k])^2)
      if (err < best[["err"]]) best <- c(share = w, err = err)
    }
    best[["share"]]
  }, numeric(1))
}

# The nearest-centroid rule's labels (see the header): the reference's marker genes and centroids.
centroid_labels <- function(task) {
  ref <- per_10k(task$train)
  rows <- marker_rows(ref, task$train_labels)
  r <- as.matrix(ref[rows, ])
  scale <- marker_scale(r)
  r <- r * scale
  q <- as.matrix(per_10k(task$test)[rows, ]) * scale
  classes <- sort(unique(task$train_labels))
  centroid <- class_centroids(r, task$train_labels, classes)
  norm2 <- colSums(centroid^2)
  proj <- crossprod(q, centroid)
  w <- pmax(sweep(proj, 2, norm2, "/"), 0)
  residual <- -2 * w * proj + sweep(w^2, 2, norm2, "*")  # minus each cell's own squared norm
  classes[max.col(-residual, ties.method = "first")]
}

wanted <- commandArgs(trailingOnly = TRUE)
if (!length(wanted)) wanted <- c("pancreas:wang->xin", "cellline3:celseq2->dropseq", "cellline3:dropseq->celseq2")
append_tsv <- function(rows, file) {
  write.table(rows, file, sep = "\t", quote = FALSE, row.names = FALSE, append = file.exists(file),
              col.names = !file.exists(file))
}
stamp <- format(Sys.time(), "%Y-%m-%d %H:%M")
for (name in wanted) {
  task <- selected_tasks(name)[[1]]()
  truth <- task$test_labels
  pred <- list(linear = linear_baseline(task), SingleR = singler_baseline(task), centroid = centroid_labels(task))
  for (s in bench_seeds()) pred[[paste0("scLM_seed", s)]] <- as.character(scLM_run(task, s)$labels)
  cp <- per_10k(task$test)
  share <- label_share(cp, truth)
  missed <- Reduce(`&`, lapply(pred[names(pred) != "centroid"], function(p) p != truth))
  clear <- share >= 0.75
  cat(sprintf("\n%s: %d query cells; missed by every method %d; label share < 0.75: %d of the missed, %d of the rest\n",
              name, length(truth), sum(missed), sum(!clear[missed]), sum(!clear[!missed])))
  cat(sprintf("  label share, missed cells: %s\n", paste(sprintf("%.2f", sort(share[missed])), collapse = " ")))
  cat(sprintf("  label share, other cells: quantiles 5%% %.2f, 25%% %.2f, 50%% %.2f\n",
              quantile(share[!missed], 0.05), quantile(share[!missed], 0.25), median(share[!missed])))
  summary <- data.frame(date = stamp, task = name, method = names(pred), n_cells = length(truth),
                        macro_f1 = vapply(pred, function(p) round(macro_f1(truth, p), 4), numeric(1)),
                        n_clear = sum(clear),
                        macro_f1_clear = vapply(pred, function(p) round(macro_f1(truth[clear], p[clear]), 4), numeric(1)),
                        missed_by_all = sum(missed), missed_mixed = sum(missed & !clear))
  print(summary[, -1], row.names = FALSE)
  append_tsv(summary, "bench/results/mixed_cells.tsv")
  cells <- data.frame(date = stamp, task = name, cell = colnames(task$test), label = truth,
                      label_share = round(share, 3), detected = colSums(task$test > 0),
                      missed_by_all = missed, as.data.frame(pred, optional = TRUE))
  cells <- cells[order(cells$label_share), ]
  append_tsv(cells[cells$missed_by_all | cells$label_share < 0.75, ], "bench/results/mixed_cells_cells.tsv")
}
