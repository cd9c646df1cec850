# SCTrans's light classifier in the prediction (issues 23 and 25): one default fit per task and
# seed (finetune(n_models = n), n from env SCLM_BENCH_N_MODELS: default 3, the package's default for
# genes; the rows before 2026-12-05 ran with 1), annotated with each
# sctrans_config(light_weight = w) of SCLM_BENCH_LIGHT_WEIGHTS (default 0, 0.25, 0.5). Training
# does not read light_weight (validation and the best epoch read the main classifier), so one fit
# stands for every w: the fitted model's setting is set to w before each annotate_cells() call.
#   Rscript bench/light_weight.R [task ...]
# env SCLM_BENCH_SEEDS (default 1,2,3); SCLM_BENCH_DIR, when set, keeps each fit there
# (light_weight_<task>_<n_models>_<seed>.rds) and reuses it when present (fit_s is then read back).
# Appends rows to bench/results/light_weight.tsv.
source("bench/annotation_common.R")
seeds <- bench_seeds()
weights <- as.numeric(strsplit(Sys.getenv("SCLM_BENCH_LIGHT_WEIGHTS", "0,0.25,0.5"), ",")[[1]])
n_models <- as.integer(Sys.getenv("SCLM_BENCH_N_MODELS", "3"))
out <- "bench/results/light_weight.tsv"

fitted_model <- function(name, task, seed) {
  kept_fit(sprintf("light_weight_%s_%d_%d", name, n_models, seed), function() {
    t0 <- proc.time()[["elapsed"]]
    model <- finetune(x = task$train, labels = task$train_labels, seed = seed, n_models = n_models, verbose = FALSE)
    list(model = model, fit_s = proc.time()[["elapsed"]] - t0)
  })
}

for (name in names(tasks <- selected_tasks())) {
  task <- tasks[[name]]()
  if (!inherits(scLM:::default_config(rownames(task$train), ncol(task$train)), "scLM_sctrans_config")) {
    message(name, ": the default model is not SCTrans; skipped")
    next
  }
  for (seed in seeds) {
    fit <- fitted_model(name, task, seed)
    for (w in weights) {
      model <- fit$model
      model$config$subvectors$light_weight <- w
      labels <- annotate_cells(model, task$test, verbose = FALSE)$labels
      speed <- if (w %in% range(weights)) annotation_speed(model, task$test) else NA
      r <- result_row(name, "scLM", seed, ncol(task$train), task$test_labels, labels, fit$fit_s, speed)
      utils::write.table(cbind(date = format(Sys.time(), "%Y-%m-%d %H:%M"), n_models = n_models, light_weight = w, r),
                         out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                         col.names = !file.exists(out))
    }
  }
}
