# Unknown types with the default unknown_method = "knn", each type of a task's reference left out
# in turn (issue 23): the share of the left-out type's test cells flagged, and of the other test
# cells. The knn score reads the reference's expression space (its cells, the model's vocabulary
# and held-out split), not the trained weights, so each model is fine-tuned for one epoch only;
# the flags are those of the fully trained default model with the same seed.
#   Rscript bench/unknown_types.R pbmc3k symphony:3pv1 ...   (after `make install`; tasks of
#   bench/annotation_common.R; results appended to bench/results/unknown_types.tsv)
source("bench/annotation_common.R")
out <- "bench/results/unknown_types.tsv"
for (name in commandArgs(TRUE)) {
  task <- annotation_tasks[[name]]()
  rows <- list()
  for (type in sort(unique(task$train_labels))) {
    keep <- task$train_labels != type
    model <- finetune(x = task$train[, keep], labels = task$train_labels[keep], epochs = 1, seed = 1, verbose = FALSE)
    flagged <- annotate_cells(model, task$test, unknown_method = "knn", verbose = FALSE)$pruned.labels == "Unknown"
    novel <- task$test_labels == type
    if (!any(novel)) next
    rows[[length(rows) + 1L]] <- data.frame(task = name, left_out = type, n_left_out_test = sum(novel), method = "knn",
                                            novel_flagged = round(mean(flagged[novel]), 4),
                                            known_flagged = round(mean(flagged[!novel]), 4))
    print(tail(rows, 1)[[1]], row.names = FALSE)
  }
  res <- do.call(rbind, rows)
  cat(sprintf("%s: median over %d left-out types: %.3f of their cells flagged, %.3f of the others\n", name, nrow(res),
              stats::median(res$novel_flagged), stats::median(res$known_flagged)))
  utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                     col.names = !file.exists(out))
}
