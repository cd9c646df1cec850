# How much cell-type structure do embeddings hold? kNN (k = 10, cosine) from 10% labeled pbmc3k
# cells to the other 90%, on: PCA (50) of log-normalised variable genes, and embed_cells() of
# encoders pretrained on all pbmc3k cells with and without the contrastive term.
#   Rscript bench/embedding_knn.R   (after `make install`; ~4 min on 2 cores)
suppressPackageStartupMessages(library(scLM))
source("inst/scripts/standard_split.R")
p <- readRDS("inst/extdata/pbmc3k.rds")
y <- p$cell_type
knn <- function(E, train, test, k = 10) {
  A <- E / sqrt(rowSums(E^2))
  similarity <- A[test, ] %*% t(A[train, ])
  pred <- apply(similarity, 1, function(r) names(which.max(table(y[train][order(-r)[1:k]]))))
  c(accuracy = mean(pred == y[test]), macro_f1 = macro_f1(y[test], pred))
}
split <- stratified_split(y, test_frac = 0.9, seed = 1)
genes <- scLM:::select_features(p$counts, scLMConfig())
logn <- log1p(t(t(p$counts[genes, ]) / Matrix::colSums(p$counts)) * 1e4)
embeddings <- list(pca50 = stats::prcomp(t(as.matrix(logn)), rank. = 50)$x)
for (w in c(0, 1)) {
  enc <- pretrain(p$counts, scLMConfig(), epochs = 10, contrastive_weight = w, verbose = FALSE)
  embeddings[[sprintf("scLM_contrastive_%g", w)]] <- embed_cells(enc, p$counts, verbose = FALSE)
}
res <- do.call(rbind, lapply(names(embeddings), function(n) data.frame(embedding = n, t(knn(embeddings[[n]], split$train, split$test)))))
out <- "bench/results/embedding_knn.tsv"
writeLines(sprintf("# %s; %d cores; pbmc3k, kNN from 10%% labeled cells (seed 1) to the other 90%%", format(Sys.Date()),
                   parallel::detectCores()), out)
suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
print(res)
