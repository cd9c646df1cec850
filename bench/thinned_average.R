# What a model fine-tuned with down-sampling reads of a query (stop 62): every default fit
# annotated twice, as the package reads the query (each cell at the average of what its thinned
# copies gave in training: averaged_input() in R/model_family.R) and as it was read before (the
# cell as it is: the fit's training$downsample set to 0 at annotation, which nothing else reads
# there). One fit per task and seed serves both, so each pair differs in the reading alone.
#   Rscript bench/thinned_average.R [task ...]
# env SCLM_BENCH_SEEDS (default 1,2,3); SCLM_BENCH_DIR keeps the fits (thinned_average_<task>_<seed>.rds)
# and reuses them when present (fit_s is then NA). Appends rows "package_defaults" and
# "plain_input" to bench/results/annotation_levers.tsv, with each reading's cells/s.
source("bench/annotation_common.R")
seeds <- bench_seeds()
out <- "bench/results/annotation_levers.tsv"
for (name in names(tasks <- selected_tasks())) {
  task <- tasks[[name]]()
  for (seed in seeds) {
    kept <- kept_fit(sprintf("thinned_average_%s_%d", name, seed), function() {
      t0 <- proc.time()[["elapsed"]]
      model <- default_model(task, seed)
      list(model = model, fit_s = proc.time()[["elapsed"]] - t0)
    })
    plain <- kept$model
    plain$training$downsample <- 0
    for (variant in c("package_defaults", "plain_input")) {
      model <- if (variant == "plain_input") plain else kept$model
      pred <- annotate_cells(model, task$test, verbose = FALSE)$labels
      r <- result_row(name, "scLM", seed, ncol(task$train), task$test_labels, pred, kept$fit_s,
                      annotation_speed(model, task$test))
      utils::write.table(cbind(date = format(Sys.time(), "%Y-%m-%d %H:%M"), variant = variant, r), out, sep = "\t",
                         row.names = FALSE, col.names = FALSE, quote = FALSE, append = TRUE)
    }
  }
}
