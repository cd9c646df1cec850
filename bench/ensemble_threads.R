# The default ensemble's three models trained side by side (one LibTorch thread each, what
# finetune() does on the CPU with two or more threads) against one after another: on one thread
# (the same three models, bit for bit: `identical` says so) and, as before stop 57, each model on
# every thread: three one-model fits of seeds s, s + 1, s + 2, timed as one ensemble, i.e. their
# epochs' seconds (training and validation) summed plus the rest of the first fit (vocabulary,
# store, calibration, gene levels); these models differ from the ensemble's by the last bits of
# their sums, so their ensemble's macro-F1 is not reported. In turns, in one process; macro-F1 of
# each ensemble on the task's test cells.
#   Rscript bench/ensemble_threads.R [task ...]   (after `make install`; default pbmc3k and
#   symphony:5p; rows appended to bench/results/ensemble_threads.tsv)
# env SCLM_BENCH_SEEDS (default 1,2).
source("bench/annotation_common.R")
args <- commandArgs(trailingOnly = TRUE)
tasks <- selected_tasks(if (length(args)) args else c("pbmc3k", "symphony:5p"))
seeds <- as.integer(strsplit(Sys.getenv("SCLM_BENCH_SEEDS", "1,2"), ",")[[1]])
threads <- parallel::detectCores()
out <- "bench/results/ensemble_threads.tsv"

timed <- function(expr) {
  t0 <- proc.time()[["elapsed"]]
  value <- expr
  list(value = value, seconds = proc.time()[["elapsed"]] - t0)
}
fit <- function(task, seed, ...) {
  finetune(x = task$train, labels = task$train_labels, seed = seed, verbose = FALSE, ...)
}
f1 <- function(task, model) macro_f1(task$test_labels, annotate_cells(model, task$test, verbose = FALSE)$labels)

for (name in names(tasks)) {
  task <- tasks[[name]]()
  for (seed in seeds) {
    side <- timed(fit(task, seed, num_threads = threads))
    one_thread <- timed(fit(task, seed, num_threads = 1L))
    each <- lapply(0:2, function(i) timed(fit(task, seed + i, n_models = 1L, num_threads = threads)))
    epochs_s <- vapply(each, function(e) sum(e$value$history$seconds), numeric(1))
    rows <- data.frame(
      date = format(Sys.time(), "%Y-%m-%d %H:%M"), task = name, seed = seed, threads = threads,
      kind = c("side_by_side", "one_after_another_1_thread", "one_after_another_all_threads"),
      fit_s = c(side$seconds, one_thread$seconds, each[[1]]$seconds + sum(epochs_s[-1])),
      same_models_as_side_by_side = c(TRUE, identical(scLM:::classifier_weights(side$value),
                                                      scLM:::classifier_weights(one_thread$value)), NA),
      macro_f1 = c(f1(task, side$value), f1(task, one_thread$value), NA))
    rows$speedup <- rows$fit_s / rows$fit_s[1]
    print(rows, row.names = FALSE)
    utils::write.table(rows, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                       col.names = !file.exists(out))
  }
}
