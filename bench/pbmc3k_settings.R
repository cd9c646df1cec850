# Chooses the CPU default model: macro-F1 on the pbmc3k standard split (train 80%, test 20%)
# and training time for several settings, one run on this machine.
# Usage: Rscript bench/pbmc3k_settings.R [variant ...]   (from the repository root)
suppressPackageStartupMessages(library(scLM))
source("inst/scripts/standard_split.R")
pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
split <- stratified_split(pbmc$cell_type)
variants <- list(
  default = list(config = list(), train = list()),
  no_regularisation = list(config = list(), train = list(label_smoothing = 0, token_dropout = 0)),
  dropout0.2 = list(config = list(dropout = 0.2), train = list()),
  tokens128 = list(config = list(max_tokens = 128), train = list()),
  lr5e4_patience8 = list(config = list(), train = list(learning_rate = 5e-4, patience = 8)),
  dim96_heads4 = list(config = list(dim = 96), train = list()),
  layers3 = list(config = list(n_layers = 3), train = list()),
  features3000 = list(config = list(n_features = 3000), train = list())
)
args <- commandArgs(trailingOnly = TRUE)
if (length(args)) variants <- variants[args]
rows <- lapply(names(variants), function(name) {
  v <- variants[[name]]
  t0 <- proc.time()[["elapsed"]]
  model <- do.call(finetune, c(list(do.call(scLMConfig, v$config), pbmc$counts[, split$train],
                                    labels = pbmc$cell_type[split$train], verbose = FALSE), v$train))
  seconds <- proc.time()[["elapsed"]] - t0
  pred <- annotate_cells(model, pbmc$counts[, split$test], verbose = FALSE)$labels
  truth <- pbmc$cell_type[split$test]
  row <- data.frame(variant = name, macro_f1 = round(macro_f1(truth, pred), 3),
                    accuracy = round(mean(pred == truth), 3), epochs = nrow(model$history),
                    best_epoch = model$training$best_epoch, train_seconds = round(seconds, 1),
                    ms_per_step = round(1000 * model$training$seconds_per_step, 1))
  print(row, row.names = FALSE)
  row
})
result <- do.call(rbind, rows)
out <- file.path("bench", "results", "pbmc3k_settings.tsv")
write.table(result, out, sep = "\t", quote = FALSE, row.names = FALSE, append = file.exists(out),
            col.names = !file.exists(out))
