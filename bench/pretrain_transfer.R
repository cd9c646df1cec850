# Does pretraining help? Pretrain on all human RNA sets of ../shared/data (labels unused),
# fine-tune on 10% of pbmc3k's labeled cells, test on the other 90%; the same fine-tuning
# budget from scratch is the baseline. 3 seeds (split + training).
#   Rscript bench/pretrain_transfer.R   (after `make install`; ~15 min on 2 cores)
suppressPackageStartupMessages(library(scLM))
source("bench/shared_data.R")
source("inst/scripts/standard_split.R")

human <- c("pbmc3k_10x_seurat_labels", "pbmc_3x10x_symphony_1767genes", "pancreas_xin_subset_lognorm",
           "pancreas_wang_subset_lognorm", "cellline3_celseq2_tian2019", "cellline3_dropseq_tian2019")
sets <- lapply(human, function(n) {
  d <- read_shared(n)
  if (grepl("lognorm", n)) d$counts <- as_count_scale(d$counts)
  d$counts[, Matrix::colSums(d$counts) > 0]
})
pbmc <- read_shared("pbmc3k_10x_seurat_labels")

config <- scLMConfig()
epochs_pretrain <- as.integer(Sys.getenv("SCLM_PRETRAIN_EPOCHS", "15"))
t0 <- proc.time()[["elapsed"]]
encoder <- suppressWarnings(pretrain(sets, config, epochs = epochs_pretrain, seed = 1, verbose = TRUE))
pretrain_seconds <- proc.time()[["elapsed"]] - t0
cat(sprintf("pretrained on %d cells, %d genes, %d epochs in %.0fs\n", sum(sapply(sets, ncol)),
            length(encoder$features), nrow(encoder$history), pretrain_seconds))

rows <- list()
for (seed in 1:3) {
  split <- stratified_split(pbmc$cell_type, test_frac = 0.9, seed = seed)
  x <- pbmc$counts[, split$train]; y <- pbmc$cell_type[split$train]
  test <- pbmc$counts[, split$test]; truth <- pbmc$cell_type[split$test]
  for (variant in c("scratch", "pretrained", "pretrained_top1")) {
    start <- if (variant == "scratch") config else encoder
    blocks <- if (variant == "pretrained_top1") 1L else "all"  # top1: only the last block and the head train
    t1 <- proc.time()[["elapsed"]]
    model <- finetune(start, x, y, trainable_blocks = blocks, seed = seed, verbose = FALSE)
    pred <- annotate_cells(model, test, verbose = FALSE)$labels
    rows[[length(rows) + 1]] <- data.frame(seed = seed, variant = variant, n_train = length(y),
                                           macro_f1 = macro_f1(truth, pred), accuracy = mean(pred == truth),
                                           seconds = proc.time()[["elapsed"]] - t1)
    print(tail(rows, 1)[[1]])
  }
}
res <- do.call(rbind, rows)
summary <- aggregate(cbind(macro_f1, accuracy) ~ variant, res, mean)
gain <- summary$macro_f1[summary$variant == "pretrained"] - summary$macro_f1[summary$variant == "scratch"]
dir.create("bench/results", showWarnings = FALSE)
out <- "bench/results/pretrain_transfer.tsv"
writeLines(c(sprintf("# %s; %d cores; pretraining: %d cells from %d human RNA sets, %d genes, %d epochs, %.0fs",
                     format(Sys.Date()), parallel::detectCores(), sum(sapply(sets, ncol)), length(sets),
                     length(encoder$features), nrow(encoder$history), pretrain_seconds),
             sprintf("# mean macro-F1 gain of pretraining (all blocks fine-tuned): %+.3f", gain)), out)
suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
print(summary)
cat(sprintf("macro-F1 gain: %+.3f\n", gain))
