# Builds inst/extdata/granja_d6t1_atac.rds from ../shared/data/atac_granja2019_bmmc_d6t1 (real 10x
# scATAC-seq of one donor's bone marrow, Granja et al. 2019; 16 fine types; hg19 peaks): up to 50
# cells of each type, drawn with set.seed(1), all 10,000 peaks.
# Run from the repository root: Rscript data-raw/granja_d6t1_atac.R
source(file.path("bench", "shared_data.R"))
d <- read_shared("atac_granja2019_bmmc_d6t1")
set.seed(1)
keep <- sort(unlist(lapply(split(seq_along(d$cell_type), d$cell_type), function(i) i[sample.int(length(i), min(50L, length(i)))]),
                    use.names = FALSE))
atac <- list(counts = d$counts[, keep], cell_type = d$cell_type[keep], genome = "hg19",
             source = "Granja et al. 2019 healthy bone marrow scATAC-seq (GEO), donor BMMC_D6T1: up to 50 cells per type of the 10,335-cell x 10,000-peak set of ../shared/data")
path <- file.path("inst", "extdata", "granja_d6t1_atac.rds")
saveRDS(atac, path, compress = "xz")
cat(length(keep), "cells;", Matrix::nnzero(atac$counts), "non-zeros;", file.size(path), "bytes\n")
