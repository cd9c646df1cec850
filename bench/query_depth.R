# Query depth matching, a lever for issue 23: query cells sequenced deeper than any reference cell
# the model trained on detect genes it never saw detected together. Thinning each such query cell
# (binomially, seeded) to the reference's median depth before annotate_cells() puts it back in the
# range the model knows. Same default models (seeds 1-3) annotate the query as it is and thinned.
# Rejected (bench/README.md, "Stop 50"): nothing gained.
#   Rscript bench/query_depth.R [task ...]   (after `make install`; tasks of bench/annotation_common.R;
#   rows appended to bench/results/query_depth.tsv)
source("bench/annotation_common.R")
seeds <- bench_seeds()
out <- "bench/results/query_depth.tsv"
quantile_above <- as.numeric(Sys.getenv("SCLM_BENCH_DEPTH_QUANTILE", "0.9"))

# Each cell (column) whose count total is above the reference's `quantile_above` quantile thinned
# to the reference's median total.
thinned <- function(test, reference, seed) {
  ref_depth <- Matrix::colSums(reference)
  depth <- Matrix::colSums(test)
  keep <- ifelse(depth > stats::quantile(ref_depth, quantile_above), stats::median(ref_depth) / depth, 1)
  set.seed(seed)
  col <- rep(seq_len(ncol(test)), diff(test@p))
  test@x <- as.numeric(stats::rbinom(length(test@x), test@x, keep[col]))
  list(x = Matrix::drop0(test), share = mean(keep < 1))
}

tasks <- selected_tasks()
for (name in names(tasks)) {
  task <- tasks[[name]]()
  if (!all(task$test@x == round(task$test@x))) {
    message(name, ": log-normalised, no counts to thin; skipped")
    next
  }
  for (seed in seeds) {
    model <- finetune(x = task$train, labels = task$train_labels, seed = seed, verbose = FALSE)
    query <- thinned(task$test, task$train, seed)
    as_is <- annotate_cells(model, task$test, verbose = FALSE)$labels
    matched <- annotate_cells(model, query$x, verbose = FALSE)$labels
    r <- data.frame(date = format(Sys.time(), "%Y-%m-%d %H:%M"), task = name, seed = seed, quantile = quantile_above,
                    thinned_share = round(query$share, 4),
                    macro_f1_as_is = round(macro_f1(task$test_labels, as_is), 4),
                    macro_f1_matched = round(macro_f1(task$test_labels, matched), 4))
    print(r, row.names = FALSE)
    utils::write.table(r, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                       col.names = !file.exists(out))
  }
}
