# annotate_cells(match_levels = ) against the same fit annotated without it (the default of SCTrans
# models of genes since stop 53): macro-F1 and annotation speed (the test cells repeated to 5,000,
# as annotation_tasks.R times them), one call after the other on the same machine.
#   Rscript bench/match_levels.R [task ...]   (after `make install`; tasks of bench/annotation_common.R;
#   rows appended to bench/results/match_levels.tsv)
# env SCLM_BENCH_SEEDS (default 1,2,3).
source("bench/annotation_common.R")
seeds <- bench_seeds()
out <- "bench/results/match_levels.tsv"

tasks <- selected_tasks()
for (name in names(tasks)) {
  task <- tasks[[name]]()
  for (seed in seeds) {
    model <- default_model(task, seed)
    r <- do.call(rbind, lapply(c(FALSE, TRUE), function(match_levels) {
      pred <- suppressMessages(annotate_cells(model, task$test, match_levels = match_levels, verbose = FALSE))$labels
      data.frame(date = format(Sys.time(), "%Y-%m-%d %H:%M"), task = name, seed = seed, match_levels = match_levels,
                 macro_f1 = round(macro_f1(task$test_labels, pred), 4), accuracy = round(mean(pred == task$test_labels), 4))
    }))
    # Timed in turns, twice each, so that a machine slowing down in between hits both alike.
    times <- vapply(c(FALSE, TRUE, FALSE, TRUE), function(m) annotation_speed(model, task$test, match_levels = m), numeric(1))
    r$cells_per_s <- round(c(mean(times[c(1, 3)]), mean(times[c(2, 4)])))
    print(r, row.names = FALSE)
    utils::write.table(r, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                       col.names = !file.exists(out))
  }
}
