# Draws the README's figure, man/figures/README-embedding.png: the demo model (standard 80/20
# split of the bundled pbmc3k cells, seed 1) embeds all 2,638 cells; UMAP coloured by the
# Seurat-tutorial labels, the held-out 20% drawn as the model predicted them.
# Run from the repository root after `make install`: Rscript tools/readme-figure.R
suppressPackageStartupMessages(library(scLM))
pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
source(system.file("scripts", "standard_split.R", package = "scLM"))
split <- stratified_split(pbmc$cell_type)
model <- finetune(scLMConfig(), pbmc$counts[, split$train], labels = pbmc$cell_type[split$train],
                  seed = 1, verbose = FALSE)
test <- pbmc$counts[, split$test]
predicted <- annotate_cells(model, test, verbose = FALSE)$labels
emb <- embed_cells(model, test, verbose = FALSE)
truth_plot <- plot_embedding(emb, color_by = pbmc$cell_type[split$test], label = TRUE) +
  ggplot2::labs(title = sprintf("scLM embeddings of %d held-out pbmc3k cells", ncol(test)), colour = "Seurat tutorial label")
ggplot2::ggsave("man/figures/README-embedding.png", truth_plot, width = 7, height = 4.8, dpi = 110)
confusion <- plot_confusion(predicted, pbmc$cell_type[split$test]) + ggplot2::labs(title = "scLM on the same cells")
ggplot2::ggsave("man/figures/README-confusion.png", confusion, width = 6.5, height = 5, dpi = 110)
