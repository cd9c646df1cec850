# How much cell-type structure do embeddings hold? On pbmc3k: kNN (k = 10, cosine) from 10%
# labeled cells to the other 90%, and ARI / NMI of k-means clusters (k = number of types, 20
# starts) against the labels; for PCA (50) of log-normalised variable genes and embed_cells() of
# encoders pretrained on all pbmc3k cells with and without the contrastive term.
#   Rscript bench/embedding_quality.R   (after `make install`; ~4 min on 2 cores)
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
ari <- function(a, b) {
  tab <- table(a, b); comb <- function(n) n * (n - 1) / 2
  index <- sum(comb(tab)); rows <- sum(comb(rowSums(tab))); cols <- sum(comb(colSums(tab)))
  expected <- rows * cols / comb(length(a))
  (index - expected) / ((rows + cols) / 2 - expected)
}
nmi <- function(a, b) {
  p <- table(a, b) / length(a); pa <- rowSums(p); pb <- colSums(p)
  mi <- sum(p[p > 0] * log(p[p > 0] / outer(pa, pb)[p > 0]))
  entropy <- function(q) -sum(q[q > 0] * log(q[q > 0]))
  2 * mi / (entropy(pa) + entropy(pb))
}
clusters <- function(E) {
  set.seed(1)
  stats::kmeans(E / sqrt(rowSums(E^2)), centers = length(unique(y)), nstart = 20, iter.max = 100)$cluster
}
split <- stratified_split(y, test_frac = 0.9, seed = 1)
genes <- scLM:::select_features(p$counts, scLMConfig())
logn <- log1p(t(t(p$counts[genes, ]) / Matrix::colSums(p$counts)) * 1e4)
embeddings <- list(pca50 = stats::prcomp(t(as.matrix(logn)), rank. = 50)$x)
for (w in c(0, 1)) {
  enc <- pretrain(p$counts, scLMConfig(), epochs = 10, contrastive_weight = w, verbose = FALSE)
  embeddings[[sprintf("scLM_contrastive_%g", w)]] <- embed_cells(enc, p$counts, verbose = FALSE)
}
res <- do.call(rbind, lapply(names(embeddings), function(n) {
  cl <- clusters(embeddings[[n]])
  data.frame(embedding = n, t(knn(embeddings[[n]], split$train, split$test)), kmeans_ari = ari(cl, y),
             kmeans_nmi = nmi(cl, y))
}))
out <- "bench/results/embedding_quality.tsv"
writeLines(sprintf("# %s; %d cores; pbmc3k: kNN from 10%% labeled cells (seed 1) to the other 90%%; k-means ARI/NMI", format(Sys.Date()),
                   parallel::detectCores()), out)
suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
print(res)
