# Builds inst/extdata/granja_d6t1_atac.rds from ../shared/data/atac_granja2019_bmmc_d6t1 (real 10x
# scATAC-seq of one donor's bone marrow, Granja et al. 2019; 16 fine types; hg19 peaks): up to 50
# cells of each type, drawn with set.seed(1), all 10,000 peaks.
# Run from the repository root: Rscript data-raw/granja_d6t1_atac.R
src <- file.path("..", "shared", "data", "atac_granja2019_bmmc_d6t1")
counts <- methods::as(Matrix::readMM(file.path(src, "counts.mtx.gz")), "CsparseMatrix")
rownames(counts) <- readLines(file.path(src, "features.tsv.gz"))
colnames(counts) <- readLines(file.path(src, "barcodes.tsv.gz"))
labels <- utils::read.delim(file.path(src, "labels.tsv.gz"))
stopifnot(identical(labels$barcode, colnames(counts)))
set.seed(1)
keep <- sort(unlist(lapply(split(seq_along(labels$cell_type), labels$cell_type), function(i) i[sample.int(length(i), min(50L, length(i)))]),
                    use.names = FALSE))
atac <- list(counts = counts[, keep], cell_type = labels$cell_type[keep], genome = "hg19",
             source = "Granja et al. 2019 healthy bone marrow scATAC-seq (GEO), donor BMMC_D6T1: up to 50 cells per type of the 10,335-cell x 10,000-peak set of ../shared/data")
saveRDS(atac, file.path("inst", "extdata", "granja_d6t1_atac.rds"), compress = "xz")
cat(length(keep), "cells;", Matrix::nnzero(atac$counts), "non-zeros;", file.size(file.path("inst", "extdata", "granja_d6t1_atac.rds")), "bytes\n")
