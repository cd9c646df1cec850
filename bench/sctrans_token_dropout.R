# SCTrans gene dropout (finetune(token_dropout =): the share of genes zeroed in each training
# step) on the pbmc3k standard split, seed 1, sctrans_config() defaults otherwise.
#   Rscript bench/sctrans_token_dropout.R   (after make install; ~8 min on 2 cores)
suppressPackageStartupMessages(library(scLM))
source("inst/scripts/standard_split.R")
pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
split <- stratified_split(pbmc$cell_type)
truth <- pbmc$cell_type[split$test]
rows <- lapply(c(0, 0.1, 0.3, 0.5), function(td) {
  t0 <- proc.time()[[3]]
  m <- finetune(sctrans_config(), pbmc$counts[, split$train], pbmc$cell_type[split$train], token_dropout = td,
                seed = 1, verbose = FALSE)
  pred <- annotate_cells(m, pbmc$counts[, split$test], verbose = FALSE)$labels
  data.frame(token_dropout = td, macro_f1 = round(macro_f1(truth, pred), 4), accuracy = round(mean(pred == truth), 4),
             epochs = nrow(m$history), best_epoch = m$training$best_epoch,
             final_train_accuracy = round(tail(m$history$train_accuracy, 1), 3),
             seconds = round(proc.time()[[3]] - t0, 1))
})
res <- do.call(rbind, rows)
print(res)
out <- "bench/results/sctrans_token_dropout.tsv"
writeLines(sprintf("# %s; %d cores; pbmc3k standard 80/20 split, sctrans_config(), seed 1, finetune() defaults otherwise",
                   format(Sys.Date()), parallel::detectCores()), out)
suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
