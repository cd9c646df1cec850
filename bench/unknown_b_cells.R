# Unknown-type detection: all B cells removed from the reference (pbmc3k standard split, training
# part); a good score flags the test B cells and few others. Each calibrated method flags about 5%
# of held-out reference cells by construction. Reference: SingleR's pruning flags 5% of the B
# cells (2% of others), a linear model's max-probability < 0.5 flags 5% (3%) (../shared/data).
#   Rscript bench/unknown_b_cells.R [default]   (after `make install`; ~5 min on 2 cores)
# With `default`: the package's default model (finetune(x =, labels =), no pretraining) only,
# into results/unknown_b_cells_default.tsv.
suppressPackageStartupMessages(library(scLM))
source("inst/scripts/standard_split.R")
p <- readRDS("inst/extdata/pbmc3k.rds")
split <- stratified_split(p$cell_type)
reference <- split$train[p$cell_type[split$train] != "B"]
is_b <- p$cell_type[split$test] == "B"

rows <- list()
score <- function(model, seed, start) {
  for (method in scLM:::unknown_methods) {
    res <- annotate_cells(model, p$counts[, split$test], unknown_method = method, verbose = FALSE)
    flagged <- res$pruned.labels == "Unknown"
    rows[[length(rows) + 1]] <<- data.frame(seed = seed, model = start, method = method,
                                            b_flagged = mean(flagged[is_b]), others_flagged = mean(flagged[!is_b]))
    print(tail(rows, 1)[[1]])
  }
}
default_only <- identical(commandArgs(trailingOnly = TRUE), "default")
for (seed in 1:3) {
  if (default_only) {
    score(finetune(x = p$counts[, reference], labels = p$cell_type[reference], seed = seed, verbose = FALSE), seed, "default")
    next
  }
  # Pretraining sees all pbmc3k cells without labels (B cells included, as a query would be).
  encoder <- pretrain(p$counts, scLMConfig(), epochs = 10, seed = seed, verbose = FALSE)
  for (start in c("scratch", "pretrained")) {
    score(finetune(if (start == "scratch") scLMConfig() else encoder, p$counts[, reference],
                   p$cell_type[reference], seed = seed, verbose = FALSE), seed, start)
  }
}
res <- do.call(rbind, rows)
summary <- aggregate(cbind(b_flagged, others_flagged) ~ model + method, res, mean)
out <- if (default_only) "bench/results/unknown_b_cells_default.tsv" else "bench/results/unknown_b_cells.tsv"
writeLines(sprintf("# %s; %d cores; pbmc3k standard split, B cells left out of the reference (%d test B cells)",
                   format(Sys.Date()), parallel::detectCores(), sum(is_b)), out)
suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
print(summary)
