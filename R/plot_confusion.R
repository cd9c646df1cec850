#' Confusion heatmap of predicted against true labels
#'
#' One tile per (true, predicted) pair: the fill is the share of the true type's cells given
#' that prediction, the text the number of cells. Predictions outside the true types (e.g.
#' `"Unknown"` from `pruned.labels`) get their own column; `NA` predictions (cells called
#' unknown by `annotate_cells(unknown = NA)`) get the column `"NA"`.
#'
#' Macro-F1 in the subtitle averages over the true types the model knows: a type absent from
#' the reference can never be predicted, so it would count as F1 0. The subtitle names the true
#' types it leaves out.
#'
#' @param predicted Predicted labels, or a result of [annotate_cells()] on a matrix (its
#'   `column` is used).
#' @param truth True labels, one per cell.
#' @param column For an [annotate_cells()] result: `"labels"` or `"pruned.labels"`.
#' @param known The labels the model knows (its reference types); default: the columns of the
#'   result's `probabilities`, or every true type for a vector of labels.
#' @return A ggplot2 object; its data hold `truth`, `predicted`, `cells` and `fraction` (of the
#'   true type's cells). The subtitle gives accuracy and macro-F1.
#' @examples
#' truth <- c("B", "B", "T", "T", "T", "NK")
#' predicted <- c("B", "T", "T", "T", "NK", "NK")
#' plot_confusion(predicted, truth)
#' @export
plot_confusion <- function(predicted, truth, column = c("labels", "pruned.labels"), known = NULL) {
  if (is(predicted, "DataFrame") || is.data.frame(predicted)) {
    column <- check_choice(column, c("labels", "pruned.labels"), "column")
    if (!column %in% names(predicted)) {
      cli::cli_abort("{.arg predicted} has no column {.val {column}}; pass an {.fn annotate_cells} result or a vector.")
    }
    if (is.null(known) && "probabilities" %in% names(predicted)) known <- colnames(predicted$probabilities)
    predicted <- predicted[[column]]
  }
  if (!is.atomic(predicted) || !is.atomic(truth) || length(predicted) != length(truth) || !length(truth)) {
    cli::cli_abort("{.arg predicted} and {.arg truth} must be label vectors of the same non-zero length ({length(predicted)} vs {length(truth)}).")
  }
  truth <- as.character(truth)
  if (anyNA(truth)) cli::cli_abort("{.arg truth} must not contain NA ({sum(is.na(truth))} cell{?s}).")
  predicted <- ifelse(is.na(predicted), "NA", as.character(predicted))
  types <- sort(unique(truth))
  known <- if (is.null(known)) types else as.character(known)
  scored <- intersect(types, known)
  if (!length(scored)) cli::cli_abort("None of the true types is among the {.arg known} labels.")
  lacking <- setdiff(types, known)
  counts <- as.data.frame(table(truth = factor(truth, types),
                                predicted = factor(predicted, c(types, setdiff(sort(unique(predicted)), types)))),
                          responseName = "cells")
  counts$fraction <- counts$cells / tabulate(match(truth, types), length(types))[as.integer(counts$truth)]
  counts$truth <- factor(counts$truth, rev(types))
  subtitle <- sprintf("accuracy %.3f, macro-F1 %.3f over %d known type%s (%d cells)%s", mean(predicted == truth),
                      macro_f1(truth, predicted, scored), length(scored), if (length(scored) == 1L) "" else "s",
                      length(truth), if (length(lacking)) paste0("; not in the model: ", paste(lacking, collapse = ", ")) else "")
  ggplot2::ggplot(counts, ggplot2::aes(.data$predicted, .data$truth, fill = .data$fraction)) +
    ggplot2::geom_tile() +
    ggplot2::geom_text(ggplot2::aes(label = ifelse(.data$cells > 0, .data$cells, ""),
                                    colour = .data$fraction > 0.5), size = 3, show.legend = FALSE) +
    ggplot2::scale_colour_manual(values = c(`TRUE` = "white", `FALSE` = "black")) +
    ggplot2::scale_fill_gradient(low = "grey97", high = "#08306b", limits = c(0, 1), name = "share of\ntrue type") +
    ggplot2::labs(x = "predicted", y = "true", subtitle = subtitle) +
    ggplot2::theme_minimal() +
    ggplot2::theme(axis.text.x = ggplot2::element_text(angle = 45, hjust = 1), panel.grid = ggplot2::element_blank())
}

# Mean over the true types (or the given `types`) of the F1 score of each (a type never predicted
# scores 0).
macro_f1 <- function(truth, predicted, types = sort(unique(truth))) {
  f1 <- vapply(types, function(type) {
    tp <- sum(predicted == type & truth == type)
    if (tp == 0) return(0)
    2 * tp / (sum(predicted == type) + sum(truth == type))
  }, numeric(1))
  mean(f1)
}
