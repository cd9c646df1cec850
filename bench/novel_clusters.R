# Novel types from clusters of reference and query cells together (issue 25's novel-type goal;
# no classifier, each type left out of the reference in turn). For each left-out type, its
# reference cells are removed first; the rest of the reference and all query cells are then put
# in one space (`dims` LSI components for peaks, `dims` PCs of log1p(CP10k) on 2,000 variable
# genes for genes) and grouped. A type the reference lacks leaves groups that hold query cells
# only; a known type's groups hold reference and query cells in their overall proportion. Two
# groupings (`SCLM_BENCH_GROUPS`):
#   louvain    clusters of a shared-nearest-neighbour graph of `k` neighbours, Louvain at `resolution`;
#   neighbours each query cell's own `k` nearest cells (as Milo's neighbourhoods), no clustering;
#   class      the neighbours within each predicted class: every cell is given the majority label of
#              its 15 nearest reference cells in the space (a reference cell not counting itself, so
#              that reference and query cells are misassigned alike), and each class's cells,
#              reference and query, get a space of their own (joint components of those cells
#              alone), in which each query cell's `k` nearest cells are counted. A type the
#              reference lacks hides inside the class it resembles; within that class it is where
#              the query cells are in excess.
# and two spaces (`SCLM_BENCH_SPACE`): joint (the components of reference and query together) or
# reference (the reference's components, the query projected on them, as the "knn" score's space).
# Each query cell's score is its group's share of query cells. Two cut-offs: (a) a group is flagged
# when its query count is above what Binomial(group size, overall query share) gives at
# Benjamini-Hochberg 1%, a rule that needs no labels; (b) the best any cut-off of the share could
# do, the cut that flags 5% of the known query cells (what a calibration could reach at most).
# Before stop 51 the space and graph were built once with the left-out type's reference cells in
# them (rows with reference_in_space = TRUE), which let the type's query cells inherit clusters.
#   Rscript bench/novel_clusters.R [resolution] [task ...]   (after `bash tools/install-deps.sh --bench`;
#   rows appended to bench/results/novel_clusters.tsv; SCLM_BENCH_K and SCLM_BENCH_DIMS set the
#   neighbours and the components, 10 and 30 unless set; SCLM_BENCH_GROUPS "louvain" unless set)
source("bench/annotation_common.R")
args <- commandArgs(TRUE)
resolution <- if (length(args)) as.numeric(args[1]) else 6
tasks <- selected_tasks(if (length(args) > 1) args[-1] else c("granja_d6t1", "pbmc3k", "symphony:3pv2"))
out <- "bench/results/novel_clusters.tsv"
k <- as.integer(Sys.getenv("SCLM_BENCH_K", "10"))
dims <- as.integer(Sys.getenv("SCLM_BENCH_DIMS", "30"))
grouping <- Sys.getenv("SCLM_BENCH_GROUPS", "louvain")
space <- Sys.getenv("SCLM_BENCH_SPACE", "joint")

space_of <- function(ref, query, modality) {
  s <- if (space == "joint") {
    x <- cbind(ref, query)
    if (modality == "atac") lsi(x, NULL, n = dims)$train else {
      l <- lognorm(x)
      irlba::prcomp_irlba(t(as.matrix(l[variable_rows(l), ])), n = dims)$x
    }
  } else if (modality == "atac") do.call(rbind, lsi(ref, query, n = dims)) else {
    l <- lognorm(ref)
    rows <- variable_rows(l)
    pca <- irlba::prcomp_irlba(t(as.matrix(l[rows, ])), n = dims)
    rbind(pca$x, scale(t(as.matrix(lognorm(query)[rows, ])), pca$center, FALSE) %*% pca$rotation)
  }
  s / sqrt(rowSums(s^2))
}

# Query cells' flags (BH rule) and shares, for the rows of `cells` of which `is_query` are the query.
score_groups <- function(cells, is_query) {
  p0 <- mean(is_query)
  if (grouping == "louvain") {
    set.seed(1)
    group <- igraph::cluster_louvain(bluster::makeSNNGraph(cells, k = k), resolution = resolution)$membership
    q <- tabulate(group[is_query], max(group))
    n <- tabulate(group, max(group))
    p <- stats::p.adjust(stats::pbinom(q - 1, n, p0, lower.tail = FALSE), "BH")
    list(flagged = (p < 0.01)[group[is_query]], share = (q / n)[group[is_query]], groups = max(group))
  } else {
    nn <- BiocNeighbors::findKNN(cells, k = k)$index[is_query, , drop = FALSE]
    q <- rowSums(matrix(is_query[nn], nrow(nn)))
    p <- stats::p.adjust(stats::pbinom(q - 1, k, p0, lower.tail = FALSE), "BH")
    list(flagged = p < 0.01, share = q / k, groups = NA_integer_)
  }
}

# The "class" grouping: flags and shares of the query cells, from the counts and the reference labels.
score_classes <- function(ref, query, ref_labels, modality) {
  cells <- space_of(ref, query, modality)
  is_query <- rep(c(FALSE, TRUE), c(ncol(ref), ncol(query)))
  vote <- function(index) {
    l <- matrix(ref_labels[index], nrow(index))
    apply(l, 1, function(v) names(which.max(table(v))))
  }
  class <- c(vote(BiocNeighbors::findKNN(cells[!is_query, ], k = 15)$index),
             vote(BiocNeighbors::queryKNN(cells[!is_query, ], cells[is_query, ], k = 15)$index))
  p <- share <- rep(NA_real_, length(class))
  for (c in unique(class)) {
    i <- which(class == c)
    q <- is_query[i]
    if (sum(q) == 0 || length(i) <= k + dims) next
    sub <- space_of(ref[, i[!q], drop = FALSE], query[, i[q] - ncol(ref), drop = FALSE], modality)
    nn <- BiocNeighbors::findKNN(sub, k = k)$index[q, , drop = FALSE]
    n_q <- rowSums(matrix(q[nn], nrow(nn)))
    share[i[q]] <- n_q / k
    p[i[q]] <- stats::pbinom(n_q - 1, k, mean(q), lower.tail = FALSE)
  }
  p <- p[is_query]
  share <- share[is_query]
  # a class too small for its own space: its query cells keep the overall share, unflagged
  share[is.na(share)] <- mean(is_query)
  list(flagged = !is.na(p) & stats::p.adjust(p, "BH") < 0.01, share = share, groups = length(unique(class)))
}

for (name in names(tasks)) {
  task <- tasks[[name]]()
  rows <- lapply(sort(unique(task$train_labels)), function(type) {
    novel <- task$test_labels == type
    if (!any(novel)) return(NULL)
    ref <- task$train_labels != type  # the reference without the type
    is_query <- rep(c(FALSE, TRUE), c(sum(ref), ncol(task$test)))
    g <- if (grouping == "class") score_classes(task$train[, ref], task$test, task$train_labels[ref], task$modality) else
      score_groups(space_of(task$train[, ref], task$test, task$modality), is_query)
    cut <- stats::quantile(g$share[!novel], 0.95)
    data.frame(task = name, grouping = grouping, space = space, reference_in_space = FALSE, k = k, dims = dims,
               resolution = if (grouping == "louvain") resolution else NA, clusters = g$groups, left_out = type,
               n_left_out_test = sum(novel),
               rule_novel = round(mean(g$flagged[novel]), 4), rule_known = round(mean(g$flagged[!novel]), 4),
               best_novel = round(mean(g$share[novel] > cut), 4), best_known = round(mean(g$share[!novel] > cut), 4))
  })
  res <- do.call(rbind, rows)
  print(res, row.names = FALSE)
  cat(sprintf("%s, %s in %s space (resolution %g): median left-out / other cells flagged: BH rule %.3f / %.3f, best cut-off %.3f / %.3f\n",
              name, grouping, space, resolution, stats::median(res$rule_novel), stats::median(res$rule_known),
              stats::median(res$best_novel), stats::median(res$best_known)))
  utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                     col.names = !file.exists(out))
}
