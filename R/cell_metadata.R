# Per-cell values the verbs take (training labels, groups, colours): a vector, or the name of a
# cell metadata column of the host (colData / meta.data).

resolve_labels <- function(labels, x, n_cells, call = parent.frame()) {
  labels <- metadata_column_or_value(labels, x, n_cells, "labels", call)
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
    # classes in byte order of their names, not the locale's: the same seed fits the same model
    # on every machine (factor() sorts "NK" after "Naive CD4 T" in en_US, before it in C)
    labels <- as.character(labels)
    labels <- factor(labels, levels = sort(unique(labels), method = "radix"))
  }
  if (nlevels(labels) < 2L) {
    cli::cli_abort("{.arg labels} has a single class ({.val {levels(labels)}}); a classifier needs at least two.",
                   call = call)
  }
  if (any(trimws(levels(labels)) == "")) {
    cli::cli_warn(c("{.arg labels} has {sum(trimws(as.character(labels)) == '')} empty label{?s} ({.val {''}}), which become a class of their own.",
                    "i" = "Give them a name or leave those cells out, e.g. {.code x[, labels != \"\"]}."), call = call)
  }
  single <- levels(labels)[tabulate(labels, nlevels(labels)) == 1L]
  if (length(single)) {
    cli::cli_warn(c("{length(single)} class{?es} {?has/have} a single cell ({.val {utils::head(single, 5)}}): too few to learn, and never in the validation cells.",
                    "i" = "Merge such classes or leave their cells out."), call = call)
  }
  labels
}

# `value` itself, or the metadata column of `x` it names (a single string, for more than one cell).
metadata_column_or_value <- function(value, x, n_cells, arg, call) {
  if (!(is.character(value) && length(value) == 1L && n_cells != 1L)) return(value)
  columns <- host_cell_data(x)
  if (is.null(columns)) {
    cli::cli_abort(c("{.arg {arg}} is a single string but {.arg x} has no cell metadata to look it up in.",
                     "i" = "Pass one value per cell."), call = call)
  }
  if (!value %in% names(columns)) {
    cli::cli_abort(c("{.arg {arg}} {.val {value}} is not a cell metadata column of {.arg x}.",
                     "i" = "Columns: {.val {head(names(columns), 20)}}."), call = call)
  }
  columns[[value]]
}

# Groups of cells (attention_scores(), salient_features()): one non-NA group per cell.
resolve_groups <- function(group_by, x, n_cells, call = parent.frame()) {
  group_by <- metadata_column_or_value(group_by, x, n_cells, "group_by", call)
  if (length(group_by) != n_cells || anyNA(group_by)) {
    cli::cli_abort("{.arg group_by} must have one non-NA group per cell ({n_cells}).", call = call)
  }
  if (is.factor(group_by)) droplevels(group_by) else factor(as.character(group_by))
}

# One value per cell for colouring (plot_embedding()): a vector or a metadata column; numbers stay numbers.
cell_values <- function(values, x, n_cells, call = parent.frame()) {
  values <- metadata_column_or_value(values, x, n_cells, "color_by", call)
  if (length(values) != n_cells) {
    cli::cli_abort("{.arg color_by} must have one value per cell ({n_cells}), not {length(values)}.", call = call)
  }
  if (is.numeric(values)) return(as.numeric(values))
  if (is.factor(values)) droplevels(values) else factor(as.character(values))
}
