# Does pretraining help? The shipped encoder pretrained_model("human_rna_small") (pretrained by
# data-raw/pretrained_human_rna.R on the human RNA sets of ../shared/data named by gene symbol,
# labels unused) is fine-tuned on 10% of pbmc3k's labeled cells and tested on the other 90%; the
# same fine-tuning budget from scratch is the baseline. 3 seeds (split + training).
#   Rscript bench/pretrain_transfer.R   (after `make install`; ~3 min on 2 cores)
suppressPackageStartupMessages(library(scLM))
source("bench/shared_data.R")
source("inst/scripts/standard_split.R")

pbmc <- read_shared("pbmc3k_10x_seurat_labels")
config <- scLMConfig()
encoder <- pretrained_model("human_rna_small")
pretraining <- encoder$training
cat(sprintf("shipped encoder: pretrained on %d cells, %d genes, %d epochs in %.0fs\n", pretraining$n_cells,
            length(encoder$features), nrow(encoder$history), pretraining$wall_seconds))

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
writeLines(c(sprintf("# %s; %d cores; shipped encoder human_rna_small: %d cells from %d human RNA sets, %d genes, %d epochs, %.0fs",
                     format(Sys.Date()), parallel::detectCores(), pretraining$n_cells, nrow(pretraining$datasets),
                     length(encoder$features), nrow(encoder$history), pretraining$wall_seconds),
             sprintf("# mean macro-F1 gain of pretraining (all blocks fine-tuned): %+.3f", gain)), out)
suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
print(summary)
cat(sprintf("macro-F1 gain: %+.3f\n", gain))
