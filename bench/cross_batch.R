# Cross-batch annotation on symphony PBMC (3 10x chemistries, 1,767 genes): train on two batches,
# test on the third, all three rotations; from scratch and after pretraining on all 1,200 cells
# (unlabeled); with and without class-balanced loss weights. Baselines on these splits (../shared/data): SingleR 0.787 / 0.761 / 0.919,
# linear 0.880 / 0.846 / 0.862 macro-F1 for test 3'v1 / 3'v2 / 5'.
#   Rscript bench/cross_batch.R   (after `make install`; ~3 min on 2 cores)
suppressPackageStartupMessages(library(scLM))
source("bench/shared_data.R")
source("inst/scripts/standard_split.R")
d <- read_shared("pbmc_3x10x_symphony_1767genes")
config <- scLMConfig(n_features = 1767)
encoder <- pretrain(d$counts, config, epochs = 15, seed = 1, verbose = FALSE)
rows <- list()
for (test_batch in c("3pv1", "3pv2", "5p")) {
  test <- which(d$batch == test_batch)
  train <- which(d$batch != test_batch)
  for (start in c("scratch", "scratch_balanced", "pretrained", "pretrained_balanced")) {
    # balanced: inverse class frequency in the loss (HSC and MK have 3 and 7 cells)
    model <- finetune(if (startsWith(start, "scratch")) config else encoder, d$counts[, train], d$cell_type[train],
                      class_weights = if (endsWith(start, "balanced")) "balanced" else "none", seed = 1, verbose = FALSE)
    pred <- annotate_cells(model, d$counts[, test], verbose = FALSE)$labels
    rows[[length(rows) + 1]] <- data.frame(test_batch = test_batch, model = start, n_train = length(train),
                                           macro_f1 = macro_f1(d$cell_type[test], pred),
                                           accuracy = mean(pred == d$cell_type[test]))
    print(tail(rows, 1)[[1]])
  }
}
res <- do.call(rbind, rows)
out <- "bench/results/cross_batch.tsv"
writeLines(sprintf("# %s; %d cores; symphony PBMC, train on two 10x batches, test on the third", format(Sys.Date()),
                   parallel::detectCores()), out)
suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
print(res)
