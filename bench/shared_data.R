# Reads a dataset of ../shared/data (see its README) as a dgCMatrix with labels.
`%||%` <- function(a, b) if (is.null(a)) b else a  # base R has it from 4.4 only

shared_data_dir <- function() {
  dir <- Sys.getenv("SCLM_SHARED_DATA", file.path("..", "shared", "data"))
  if (!dir.exists(dir)) stop("shared data not found at ", dir, "; set SCLM_SHARED_DATA")
  dir
}

read_shared <- function(name) {
  dir <- file.path(shared_data_dir(), name)
  # file() reads gzip transparently and these readers close what they open.
  m <- methods::as(Matrix::readMM(file.path(dir, "counts.mtx.gz")), "CsparseMatrix")
  features <- readLines(file.path(dir, "features.tsv.gz"))
  barcodes <- readLines(file.path(dir, "barcodes.tsv.gz"))
  labels <- utils::read.delim(file.path(dir, "labels.tsv.gz"), stringsAsFactors = FALSE)
  dimnames(m) <- list(make.unique(features), barcodes)
  labels <- labels[match(barcodes, labels$barcode), ]
  # The batch column is `batch`, `sample` or `donor` by set.
  list(counts = m, cell_type = labels$cell_type, batch = labels$batch %||% labels$sample %||% labels$donor)
}

# Log-normalised sets back to a count-like scale (scLM normalises by library size itself).
as_count_scale <- function(m) {
  m@x <- expm1(m@x)
  m
}

# The four human scRNA-seq sets whose genes are named by symbol, as count matrices of their cells
# with counts (the pretrained encoders' cells; labels unused), named by set.
human_symbol_sets <- function(names = c("pbmc3k_10x_seurat_labels", "pbmc_3x10x_symphony_1767genes",
                                        "pancreas_xin_subset_lognorm", "pancreas_wang_subset_lognorm")) {
  sets <- lapply(names, function(name) {
    d <- read_shared(name)
    if (grepl("lognorm", name)) d$counts <- as_count_scale(d$counts)
    d$counts[, Matrix::colSums(d$counts) > 0]
  })
  stats::setNames(sets, names)
}

# pbmc3k's labels (Seurat tutorial) mapped onto symphony PBMC's names: naive and memory CD4 T to
# T_CD4, platelets to MK (platelets and megakaryocytes); B, NK and DC keep their names.
pbmc3k_to_symphony <- c("Naive CD4 T" = "T_CD4", "Memory CD4 T" = "T_CD4", "CD8 T" = "T_CD8", "CD14+ Mono" = "Mono_CD14",
                        "FCGR3A+ Mono" = "Mono_CD16", Platelet = "MK", B = "B", NK = "NK", DC = "DC")
