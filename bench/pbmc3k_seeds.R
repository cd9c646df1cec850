# Chooses the CPU defaults: macro-F1, accuracy and training time of scLM settings on the pbmc3k
# standard split over several seeds (macro-F1 moves with the seed through the 3 test platelets
# and 6 dendritic cells).
# Usage: Rscript bench/pbmc3k_seeds.R <variant> [seeds, e.g. 1,2,3]   (from the repository root)
suppressPackageStartupMessages(library(scLM))
source("inst/scripts/standard_split.R")
pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
split <- stratified_split(pbmc$cell_type)
variants <- list(
  default = list(config = list(), train = list()),
  # scBERT's binning (the default before bins_per_log2 = 3) and variations of it
  bins1 = list(config = list(bins_per_log2 = 1, max_bin = 10), train = list()),
  bins1_epochs30 = list(config = list(bins_per_log2 = 1, max_bin = 10), train = list(epochs = 30, patience = 10)),
  bins1_tokens512 = list(config = list(bins_per_log2 = 1, max_bin = 10, max_tokens = 512), train = list()),
  dim64 = list(config = list(dim = 64), train = list()),
  layers1 = list(config = list(n_layers = 1), train = list()),
  bins2 = list(config = list(bins_per_log2 = 2, max_bin = 20), train = list()),
  bins3 = list(config = list(bins_per_log2 = 3, max_bin = 30), train = list()),
  batch64_lr2e3 = list(config = list(), train = list(batch_size = 64, learning_rate = 2e-3)),
  no_regularisation = list(config = list(), train = list(label_smoothing = 0, token_dropout = 0)),
  dropout0.2 = list(config = list(dropout = 0.2), train = list()),
  tokens128 = list(config = list(max_tokens = 128), train = list()),
  lr5e4 = list(config = list(), train = list(learning_rate = 5e-4)),
  layers3 = list(config = list(n_layers = 3), train = list()),
  features3000 = list(config = list(n_features = 3000), train = list()),
  length_bucketing = list(config = list(), train = list(length_bucketing = TRUE)),
  value_bins = list(config = list(tokenizer = "value_bins"), train = list()),
  value_bins_bucketing = list(config = list(tokenizer = "value_bins"), train = list(length_bucketing = TRUE))
)
args <- commandArgs(trailingOnly = TRUE)
name <- args[1]
seeds <- if (length(args) > 1) as.integer(strsplit(args[2], ",")[[1]]) else 1:3
v <- variants[[name]]
if (is.null(v)) stop("unknown variant; choose one of: ", paste(names(variants), collapse = ", "))
rows <- lapply(seeds, function(seed) {
  t0 <- proc.time()[["elapsed"]]
  model <- do.call(finetune, c(list(do.call(scLMConfig, v$config), pbmc$counts[, split$train],
                                    labels = pbmc$cell_type[split$train], seed = seed, verbose = FALSE), v$train))
  seconds <- proc.time()[["elapsed"]] - t0
  pred <- annotate_cells(model, pbmc$counts[, split$test], verbose = FALSE)$labels
  truth <- pbmc$cell_type[split$test]
  data.frame(variant = name, seed = seed, macro_f1 = round(macro_f1(truth, pred), 3),
             accuracy = round(mean(pred == truth), 3), epochs = nrow(model$history),
             train_seconds = round(seconds, 1))
})
result <- do.call(rbind, rows)
print(result, row.names = FALSE)
cat(sprintf("%s: mean macro-F1 %.3f, mean accuracy %.3f over %d seeds\n", name, mean(result$macro_f1),
            mean(result$accuracy), nrow(result)))
out <- file.path("bench", "results", "pbmc3k_seeds.tsv")
write.table(result, out, sep = "\t", quote = FALSE, row.names = FALSE, append = file.exists(out),
            col.names = !file.exists(out))
