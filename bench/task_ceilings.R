# How high a task's macro-F1 can go: each method trained and tested on the *query's own* cells
# (5-fold cross-validation stratified by label, no batch, lab or platform between reference and
# query), which no method trained on another run should beat. A cell that every method mislabels
# inside its own run is taken as unreachable: the task's ceiling is the macro-F1 of labels that are
# right everywhere else and, on those cells, the linear model's out-of-fold label.
#   Rscript bench/task_ceilings.R <task ...>    (tasks of bench/annotation_common.R)
#   env SCLM_BENCH_SCLM=0 leaves scLM (the package defaults, seed 1) out of the methods.
# Results merged into bench/results/task_ceilings.tsv (a task's new row beside its old ones).
source("bench/annotation_common.R")
out <- "bench/results/task_ceilings.tsv"
with_scLM <- Sys.getenv("SCLM_BENCH_SCLM", "1") != "0"

# Out-of-fold labels of `method` (a function of a task) on the cells of `x` labelled `y`.
out_of_fold <- function(method, x, y, modality) {
  set.seed(1)
  fold <- integer(length(y))
  for (k in split(seq_along(y), y)) fold[k] <- sample(rep_len(1:5, length(k)))
  pred <- character(length(y))
  for (f in 1:5) {
    held <- fold == f
    pred[held] <- method(list(train = x[, !held], train_labels = y[!held], test = x[, held],
                              test_labels = y[held], modality = modality))
  }
  pred
}

methods <- list(linear = linear_baseline, SingleR = singler_baseline)
if (with_scLM) methods$scLM <- function(task) annotate_cells(default_model(task, 1L), task$test, verbose = FALSE)$labels
rows <- list()
for (name in names(tasks <- selected_tasks())) {
  task <- tasks[[name]]()
  y <- task$test_labels
  within <- lapply(methods, function(m) out_of_fold(m, task$test, y, task$modality))
  wrong <- Reduce(`&`, lapply(within, function(p) p != y))
  ceiling_pred <- ifelse(wrong, within$linear, y)
  r <- data.frame(task = name, n_query = length(y),
                  t(vapply(within, function(p) round(macro_f1(y, p), 4), numeric(1))),
                  missed_by_all = sum(wrong), ceiling_macro_f1 = round(macro_f1(y, ceiling_pred), 4),
                  missed_labels = paste(sprintf("%s->%s", y[wrong], within$linear[wrong]), collapse = ","),
                  date = format(Sys.Date()))
  names(r)[seq_along(methods) + 2L] <- paste0("within_", names(methods))
  print(r, row.names = FALSE)
  rows[[name]] <- r
}
res <- do.call(rbind, rows)
if (file.exists(out)) {
  old <- utils::read.delim(out, check.names = FALSE)
  res <- merge(old, res, all = TRUE, sort = FALSE)
}
utils::write.table(res, out, sep = "\t", quote = FALSE, row.names = FALSE, na = "NA")
