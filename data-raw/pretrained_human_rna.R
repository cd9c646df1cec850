# Builds the offline pretrained encoders inst/extdata/pretrained/<name>.scLM (and their
# vocabularies, <name>.features.txt) that pretrained_model(<name>) loads.
# Run from the repository root after `make install`:
#   Rscript data-raw/pretrained_human_rna.R [human_rna_small | human_rna_sctrans]
# (about 4 minutes each on 2 cores; the same seed gives the same weights on CPU).
#
# Cells: every cell with counts of the four human scRNA-seq sets in ../shared/data whose genes
# are named by symbol (5,013 cells; labels are not read): pbmc3k_10x_seurat_labels (2,638),
# pbmc_3x10x_symphony_1767genes (1,200), pancreas_xin_subset_lognorm (674) and
# pancreas_wang_subset_lognorm (501), the last two brought back to a count scale with expm1().
# The two human cell-line sets name genes by Ensembl id: with no offline id map, their genes
# could never meet a symbol-named query, so they would only add unusable vocabulary.
# Vocabulary: the union of each set's most variable genes (the config's n_features, 2,000).
# human_rna_small: scLMConfig() defaults (top-256 genes per cell, expression bins, dim 32,
# 2 layers, 4 heads, full attention), pretrain() defaults (15% masking + contrastive term),
# 15 epochs, seed 1.
# human_rna_sctrans: sctrans_config() defaults (128/256-gene sub-vectors, dim 64), pretrain()
# defaults for it (75% of sub-vectors masked + contrastive term), 30 epochs, seed 1
# (bench/encoder_transfer.R measures what it gives on datasets it was not pretrained on).
suppressPackageStartupMessages(library(scLM))
source("bench/shared_data.R")

sets <- human_symbol_sets()
human <- names(sets)

name <- commandArgs(trailingOnly = TRUE)[1]
if (is.na(name)) name <- "none"
recipe <- switch(name, human_rna_small = list(config = scLMConfig(), epochs = 15L),
                 human_rna_sctrans = list(config = sctrans_config(), epochs = 30L),
                 stop("name one of: human_rna_small, human_rna_sctrans"))
t0 <- proc.time()[["elapsed"]]
# The expm1() sets are not integer counts: pretrain() warns about that, which is expected here.
encoder <- suppressWarnings(pretrain(sets, recipe$config, epochs = recipe$epochs, seed = 1, verbose = TRUE))
seconds <- proc.time()[["elapsed"]] - t0
encoder$training$datasets <- data.frame(dataset = human, cells = vapply(sets, ncol, integer(1)), row.names = NULL)
encoder$training$recipe <- paste("Rscript data-raw/pretrained_human_rna.R", name)

out <- file.path("inst", "extdata", "pretrained")
dir.create(out, showWarnings = FALSE, recursive = TRUE)
save_model(encoder, file.path(out, paste0(name, ".scLM")))
writeLines(encoder$features, file.path(out, paste0(name, ".features.txt")))
print(encoder)
cat(sprintf("%d cells, %d genes, %d epochs, %.0f s; file %.2f MB\n", sum(vapply(sets, ncol, integer(1))),
            length(encoder$features), nrow(encoder$history), seconds,
            file.size(file.path(out, paste0(name, ".scLM"))) / 2^20))
