# Writes the small real subset the C++ core tests read: 300 pbmc3k cells (stratified by label),
suppressPackageStartupMessages(library(Matrix))
# the 600 most variable genes, as MatrixMarket + labels. Run from the repository root.
pbmc <- readRDS(file.path("inst", "extdata", "pbmc3k.rds"))
set.seed(1)
cells <- sort(unlist(lapply(split(seq_along(pbmc$cell_type), pbmc$cell_type),
                            function(i) i[sample.int(length(i), min(length(i), 40))])))
x <- pbmc$counts[, cells]
lognorm <- log1p(t(t(x) / Matrix::colSums(x)) * 1e4)
v <- Matrix::rowMeans(lognorm^2) - Matrix::rowMeans(lognorm)^2
genes <- sort(order(v, decreasing = TRUE)[1:600])
out <- file.path("src", "core", "tests", "data")
Matrix::writeMM(methods::as(x[genes, ], "CsparseMatrix"), file.path(out, "pbmc_subset.mtx"))
writeLines(rownames(x)[genes], file.path(out, "pbmc_subset_genes.txt"))
writeLines(pbmc$cell_type[cells], file.path(out, "pbmc_subset_labels.txt"))
