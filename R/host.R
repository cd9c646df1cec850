# Hosts: the objects cells come in and results go back to. Every verb reaches a host through
# these generics only; each host implements them in its own file (host_matrix.R: matrices,
# DelayedArray and annotation DataFrames; host_sce.R: SummarizedExperiment and
# SingleCellExperiment; host_seurat.R: Seurat 4 and 5, Signac). A new host is one new file.

# The features x cells counts of `x` (unchecked, not copied; cell_source() checks them).
host_counts <- function(x, assay = NULL, layer = NULL, arg = "x", call = parent.frame()) UseMethod("host_counts")

# The per-cell metadata of `x` (a data.frame-like object with one row per cell), or NULL.
host_cell_data <- function(x) UseMethod("host_cell_data")

# Genomic ranges (a GRanges) of the rows of `x`'s counts, or NULL when `x` holds none.
host_peak_ranges <- function(x, assay = NULL) UseMethod("host_peak_ranges")

# annotate_cells()'s `result` (a DataFrame, one row per cell) and `info` (a list, or NULL) added
# to `x` in its ecosystem's way, columns named with `prefix`; for matrices, the result itself.
host_add_annotation <- function(x, result, info, prefix) UseMethod("host_add_annotation")

# The annotation host_add_annotation() added to `x` (columns without `prefix`), or NULL.
host_annotation <- function(x, prefix) UseMethod("host_annotation")

# A cells x dimensions `embedding` added to `x` as reduction `name`; for matrices, the embedding.
host_add_embedding <- function(x, embedding, model_id, name) UseMethod("host_add_embedding")

# The cells x dimensions embedding `reduction` of `x` (or `x` itself, a matrix).
host_embedding <- function(x, reduction, call = parent.frame()) UseMethod("host_embedding")

# Where a host keeps an annotation's `info` (metadata() / Misc()): the prefix without its
# trailing underscores ("scLM" for the default "scLM_").
info_key <- function(prefix) sub("_+$", "", prefix)

# The columns of a cell metadata table `data` that start with `prefix`, without it (NULL if none).
prefixed_columns <- function(data, prefix) {
  columns <- names(data)[startsWith(names(data), prefix)]
  if (!length(columns)) return(NULL)
  out <- data[, columns, drop = FALSE]
  names(out) <- substring(columns, nchar(prefix) + 1L)
  out
}
