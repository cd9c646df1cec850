# SCTrans token (gene) dropout on the pbmc3k standard split, seed 1, sctrans_config() defaults otherwise.
#   Rscript bench/sctrans_token_dropout.R   (after make install; ~5 min on 2 cores)
suppressPackageStartupMessages(library(scLM))
source("inst/scripts/standard_split.R")
pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
split <- stratified_split(pbmc$cell_type)
for (td in c(0.5, 0.1)) {
t0 <- proc.time()[[3]]
m <- finetune(sctrans_config(), pbmc$counts[, split$train], pbmc$cell_type[split$train], token_dropout = td, seed = 1, verbose = FALSE)
pred <- annotate_cells(m, pbmc$counts[, split$test], verbose = FALSE)$labels
cat("token_dropout", td, "f1", macro_f1(pbmc$cell_type[split$test], pred), "acc", mean(pred == pbmc$cell_type[split$test]), "epochs", nrow(m$history), "sec", proc.time()[[3]] - t0, "\n")
print(m$history[, 1:5])
}
