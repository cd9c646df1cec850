# Per-cell values the verbs take (training labels, groups, colours): a vector, or the name of a
# cell metadata column of the host (colData / meta.data).

resolve_labels <- function(labels, x, n_cells, call = parent.frame()) {
  as_classes(label_values(labels, x, n_cells, call = call), call)
}

# The training labels of several references (finetune(x = list(...))): `labels`, a list with one
# entry per dataset (a vector or a metadata column name) or one column name every dataset has,
# resolved per dataset and joined into one factor over all their cells. Its classes are the union
# of the references' (a reference may hold only some of them): the factors' levels in the order
# they first come, otherwise sorted by their bytes, as for one reference.
# `listed`: whether the datasets came as a list (a list of one takes a list of one label entry).
resolve_reference_labels <- function(labels, datasets, sources, listed, call = parent.frame()) {
  if (length(datasets) == 1L) {
    if (listed && is.list(labels) && !is.object(labels) && length(labels) == 1L) labels <- labels[[1]]
    return(resolve_labels(labels, datasets[[1]], sources[[1]]$n_cells, call))
  }
  column <- is.character(labels) && length(labels) == 1L
  if (!column && !(is.list(labels) && !is.object(labels) && length(labels) == length(datasets))) {
    cli::cli_abort(c("{.arg labels} must be a list with one entry per reference of {.arg x} ({length(datasets)}), each a vector of labels or a metadata column name, or one column name every reference has.",
                     "i" = "E.g. {.code labels = list(ref1$cell_type, ref2$cell_type)}."), call = call)
  }
  values <- lapply(seq_along(datasets), function(k) {
    label_values(if (column) labels else labels[[k]], datasets[[k]], sources[[k]]$n_cells,
                 arg = sprintf("labels[[%d]]", k), x_arg = sprintf("x[[%d]]", k), call = call)
  })
  joined <- unlist(lapply(values, as.character), use.names = FALSE)
  if (all(vapply(values, is.factor, logical(1)))) {
    used <- lapply(values, function(v) levels(droplevels(v)))
    joined <- factor(joined, levels = unique(unlist(used, use.names = FALSE)))
  }
  as_classes(joined, call)
}

# One label per cell: `labels` itself or the metadata column of `x` it names, checked for its
# length and NAs.
label_values <- function(labels, x, n_cells, arg = "labels", x_arg = "x", call = parent.frame()) {
  labels <- metadata_column_or_value(labels, x, n_cells, arg, call, x_arg)
  if (is.null(labels) || !(is.atomic(labels) || is.factor(labels))) {
    cli::cli_abort("{.arg {arg}} must be a vector with one label per cell or a metadata column name.", call = call)
  }
  if (length(labels) != n_cells) {
    cli::cli_abort("{.arg {arg}} has {length(labels)} entr{?y/ies} but {.arg {x_arg}} has {n_cells} cell{?s}.", call = call)
  }
  if (anyNA(labels)) {
    cli::cli_abort(c("{.arg {arg}} has {sum(is.na(labels))} NA value{?s}.",
                     "i" = "Subset {.arg {x_arg}} to labeled cells first, e.g. {.code x[, !is.na(labels)]}."), call = call)
  }
  labels
}

# Labels as the model's classes: a factor (its used levels in their order, warning of unused
# ones) or the values' classes in byte order; at least two classes.
as_classes <- function(labels, call = parent.frame()) {
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
metadata_column_or_value <- function(value, x, n_cells, arg, call, x_arg = "x") {
  if (!(is.character(value) && length(value) == 1L && n_cells != 1L)) return(value)
  columns <- host_cell_data(x)
  if (is.null(columns)) {
    cli::cli_abort(c("{.arg {arg}} is a single string but {.arg {x_arg}} has no cell metadata to look it up in.",
                     "i" = "Pass one value per cell."), call = call)
  }
  if (!value %in% names(columns)) {
    cli::cli_abort(c("{.arg {arg}} {.val {value}} is not a cell metadata column of {.arg {x_arg}}.",
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
