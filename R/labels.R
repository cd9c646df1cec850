# Cell labels for training: a vector, or the name of a colData / meta.data column.

resolve_labels <- function(labels, x, n_cells, call = parent.frame()) {
  if (is.character(labels) && length(labels) == 1L && n_cells != 1L) {
    columns <- cell_metadata(x)
    if (is.null(columns)) {
      cli::cli_abort(c("{.arg labels} is a single string but {.arg x} has no cell metadata to look it up in.",
                       "i" = "Pass one label per cell."), call = call)
    }
    if (!labels %in% names(columns)) {
      cli::cli_abort(c("{.arg labels} {.val {labels}} is not a cell metadata column.",
                       "i" = "Columns: {.val {head(names(columns), 20)}}."), call = call)
    }
    labels <- columns[[labels]]
  }
  if (is.null(labels) || !(is.atomic(labels) || is.factor(labels))) {
    cli::cli_abort("{.arg labels} must be a vector with one label per cell or a metadata column name.", call = call)
  }
  if (length(labels) != n_cells) {
    cli::cli_abort("{.arg labels} has {length(labels)} entr{?y/ies} but {.arg x} has {n_cells} cell{?s}.", call = call)
  }
  if (anyNA(labels)) {
    cli::cli_abort(c("{.arg labels} has {sum(is.na(labels))} NA value{?s}.",
                     "i" = "Subset {.arg x} to labeled cells first, e.g. {.code x[, !is.na(labels)]}."), call = call)
  }
  if (is.factor(labels)) {
    unused <- setdiff(levels(labels), as.character(unique(labels)))
    if (length(unused)) {
      cli::cli_warn(c("{.arg labels} has {length(unused)} unused level{?s} ({.val {head(unused, 5)}}); {?it is/they are} dropped.",
                      "i" = "The model only learns classes that have cells."), call = call)
    }
    labels <- droplevels(labels)
  } else {
    labels <- factor(as.character(labels))
  }
  if (nlevels(labels) < 2L) {
    cli::cli_abort("{.arg labels} has a single class ({.val {levels(labels)}}); a classifier needs at least two.",
                   call = call)
  }
  labels
}

cell_metadata <- function(x) {
  if (inherits(x, "Seurat")) return(x[[]])
  if (is(x, "SummarizedExperiment")) return(as.data.frame(SummarizedExperiment::colData(x)))
  NULL
}
