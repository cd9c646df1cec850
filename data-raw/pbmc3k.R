# Builds inst/extdata/pbmc3k.rds from ../shared/data/pbmc3k_10x_seurat_labels (real 10x pbmc3k, Seurat-tutorial labels).
# Run from the repository root: Rscript data-raw/pbmc3k.R
src <- file.path("..", "shared", "data", "pbmc3k_10x_seurat_labels")
counts <- Matrix::readMM(file.path(src, "counts.mtx.gz"))
counts <- methods::as(counts, "CsparseMatrix")
rownames(counts) <- readLines(file.path(src, "features.tsv.gz"))
colnames(counts) <- readLines(file.path(src, "barcodes.tsv.gz"))
labels <- utils::read.delim(file.path(src, "labels.tsv.gz"))
stopifnot(identical(labels$barcode, colnames(counts)))
pbmc3k <- list(counts = counts, cell_type = labels$cell_type,
               source = "10x Genomics pbmc3k; labels from the Seurat guided-clustering tutorial (via clustifyrdata, MIT / CC BY 4.0)")
saveRDS(pbmc3k, file.path("inst", "extdata", "pbmc3k.rds"), compress = "xz")
