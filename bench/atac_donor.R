# scATAC across donors (issue 25's held-out donor, the one such pair in ../shared/data): the
# default model fine-tuned on all 10,335 D6T1 cells annotates the 108 cells of donor D5T1 of the
# 600-cell subset, on the 5,000 peaks both hold; macro-F1 over the 6 types the query has, accuracy
# and the share called "Unknown" (pruned.labels, the default unknown_method), seeds 1-3, against
# the linear baseline (TF-IDF + LSI + glmnet) and SingleR (Wilcoxon markers) on the same cells.
#   Rscript bench/atac_donor.R [downsample]   (after `make install` and `bash tools/install-deps.sh
#   --bench`; rows appended to bench/results/atac_donor.tsv; with `downsample`, scLM alone with
#   finetune(downsample =) set, a lever)
source("bench/annotation_common.R")
task <- lever_tasks[["granja:d6t1->d5t1"]]()
out <- "bench/results/atac_donor.tsv"
score <- function(method, seed, pred, unknown = NA, fit_s = NA) {
  r <- data.frame(date = format(Sys.time(), "%Y-%m-%d %H:%M"), method = method, seed = seed, n_train = ncol(task$train),
                  n_test = ncol(task$test), macro_f1 = round(macro_f1(task$test_labels, pred), 4),
                  accuracy = round(mean(pred == task$test_labels), 4), unknown = round(unknown, 4), fit_s = round(fit_s))
  print(r, row.names = FALSE)
  utils::write.table(r, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out), col.names = !file.exists(out))
}
downsample <- if (length(commandArgs(TRUE))) as.numeric(commandArgs(TRUE)[1])
if (is.null(downsample)) {
  score("linear", NA, linear_baseline(task))
  score("SingleR", NA, singler_baseline(task))
}
for (seed in bench_seeds()) {
  t0 <- proc.time()[["elapsed"]]
  model <- finetune(x = task$train, labels = task$train_labels, seed = seed, downsample = downsample, verbose = FALSE)
  fit_s <- proc.time()[["elapsed"]] - t0
  res <- annotate_cells(model, task$test, verbose = FALSE)
  score(if (is.null(downsample)) "scLM" else paste0("scLM_downsample", downsample), seed, res$labels, mean(res$pruned.labels == "Unknown"), fit_s)
}
