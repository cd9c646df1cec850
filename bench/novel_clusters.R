# Novel types from clusters of reference and query cells together (issue 25's novel-type goal;
# no classifier, each type left out of the reference in turn). Reference and query cells are
# clustered together (shared-nearest-neighbour graph of `k` neighbours, Louvain at `resolution`)
# in one space: `dims` LSI components of both for peaks, `dims` PCs of log1p(CP10k) on 2,000
# variable genes for genes. A type the reference lacks leaves clusters that hold query cells
# only; a known type's clusters hold reference and query cells in their overall proportion. Each
# query cell's score is its cluster's share of query cells. Two cut-offs: (a) a cluster is flagged when its query count
# is above what Binomial(cluster size, overall query share) gives at Benjamini-Hochberg 1%, a
# rule that needs no labels; (b) the best any cut-off of the share could do, the cut that flags
# 5% of the known query cells (what a calibration could reach at most).
#   Rscript bench/novel_clusters.R [resolution] [task ...]   (after `bash tools/install-deps.sh --bench`;
#   rows appended to bench/results/novel_clusters.tsv; SCLM_BENCH_K and SCLM_BENCH_DIMS set the
#   neighbours and the components, 10 and 30 unless set)
source("bench/annotation_common.R")
args <- commandArgs(TRUE)
resolution <- if (length(args)) as.numeric(args[1]) else 6
tasks <- selected_tasks(if (length(args) > 1) args[-1] else c("granja_d6t1", "pbmc3k", "symphony:3pv2"))
out <- "bench/results/novel_clusters.tsv"
k <- as.integer(Sys.getenv("SCLM_BENCH_K", "10"))
dims <- as.integer(Sys.getenv("SCLM_BENCH_DIMS", "30"))

space_of <- function(x, modality) {
  if (modality == "atac") return(lsi(x, NULL, n = dims)$train)
  l <- lognorm(x)
  irlba::prcomp_irlba(t(as.matrix(l[variable_rows(l), ])), n = dims)$x
}

for (name in names(tasks)) {
  task <- tasks[[name]]()
  space <- space_of(cbind(task$train, task$test), task$modality)
  space <- space / sqrt(rowSums(space^2))
  set.seed(1)
  cluster <- igraph::cluster_louvain(bluster::makeSNNGraph(space, k = k), resolution = resolution)$membership
  is_query <- rep(c(FALSE, TRUE), c(ncol(task$train), ncol(task$test)))
  labels <- c(task$train_labels, task$test_labels)
  rows <- lapply(sort(unique(task$train_labels)), function(type) {
    novel <- task$test_labels == type
    if (!any(novel)) return(NULL)
    kept <- is_query | labels != type  # the reference without the type
    q <- tabulate(cluster[is_query], max(cluster))
    n <- tabulate(cluster[kept], max(cluster))
    p0 <- sum(is_query) / sum(kept)
    p <- stats::p.adjust(ifelse(n > 0, stats::pbinom(q - 1, n, p0, lower.tail = FALSE), 1), "BH")
    share <- ifelse(n > 0, q / n, 0)[cluster[is_query]]
    flagged <- (p < 0.01)[cluster[is_query]]
    cut <- stats::quantile(share[!novel], 0.95)
    data.frame(task = name, k = k, dims = dims, resolution = resolution, clusters = max(cluster), left_out = type, n_left_out_test = sum(novel),
               rule_novel = round(mean(flagged[novel]), 4), rule_known = round(mean(flagged[!novel]), 4),
               best_novel = round(mean(share[novel] > cut), 4), best_known = round(mean(share[!novel] > cut), 4))
  })
  res <- do.call(rbind, rows)
  print(res, row.names = FALSE)
  cat(sprintf("%s, resolution %g (%d clusters): median left-out / other cells flagged: BH rule %.3f / %.3f, best cut-off %.3f / %.3f\n",
              name, resolution, res$clusters[1], stats::median(res$rule_novel), stats::median(res$rule_known),
              stats::median(res$best_novel), stats::median(res$best_known)))
  utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                     col.names = !file.exists(out))
}
