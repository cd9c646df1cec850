# Builds inst/extdata/granja_bm_atac.rds from ../shared/data/atac_granja2019_bm_subset (real 10x
# scATAC-seq of human bone marrow, Granja et al. 2019, subset by epiCHAOS; hg19 peaks).
# Run from the repository root: Rscript data-raw/granja_bm_atac.R
src <- file.path("..", "shared", "data", "atac_granja2019_bm_subset")
counts <- methods::as(Matrix::readMM(file.path(src, "counts.mtx.gz")), "CsparseMatrix")
rownames(counts) <- readLines(file.path(src, "features.tsv.gz"))
colnames(counts) <- readLines(file.path(src, "barcodes.tsv.gz"))
labels <- utils::read.delim(file.path(src, "labels.tsv.gz"))
stopifnot(identical(labels$barcode, colnames(counts)))
atac <- list(counts = counts, cell_type = labels$cell_type, sample = labels$sample, genome = "hg19",
             source = "Granja et al. 2019 healthy bone marrow scATAC-seq (GEO), 600-cell x 5,000-peak subset from CompEpigen/epiCHAOS (MIT)")
saveRDS(atac, file.path("inst", "extdata", "granja_bm_atac.rds"), compress = "xz")
