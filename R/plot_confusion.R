#' Confusion heatmap of predicted against true labels
#'
#' One tile per (true, predicted) pair: the fill is the share of the true type's cells given
#' that prediction, the text the number of cells. Predictions outside the true types (e.g.
#' `"Unknown"` from `pruned.labels`) get their own column.
#'
#' @param predicted Predicted labels, or a result of [annotate_cells()] on a matrix (its
#'   `column` is used).
#' @param truth True labels, one per cell.
#' @param column For an [annotate_cells()] result: `"labels"` or `"pruned.labels"`.
#' @return A ggplot2 object; its data hold `truth`, `predicted`, `cells` and `fraction` (of the
#'   true type's cells). The subtitle gives accuracy and macro-F1.
#' @examples
#' truth <- c("B", "B", "T", "T", "T", "NK")
#' predicted <- c("B", "T", "T", "T", "NK", "NK")
#' plot_confusion(predicted, truth)
#' @export
plot_confusion <- function(predicted, truth, column = c("labels", "pruned.labels")) {
  if (is(predicted, "DataFrame") || is.data.frame(predicted)) {
    column <- check_choice(column, c("labels", "pruned.labels"), "column")
    if (!column %in% names(predicted)) {
      cli::cli_abort("{.arg predicted} has no column {.val {column}}; pass an {.fn annotate_cells} result or a vector.")
    }
    predicted <- predicted[[column]]
  }
  if (!is.atomic(predicted) || !is.atomic(truth) || length(predicted) != length(truth) || !length(truth)) {
    cli::cli_abort("{.arg predicted} and {.arg truth} must be label vectors of the same non-zero length ({length(predicted)} vs {length(truth)}).")
  }
  truth <- as.character(truth)
  predicted <- as.character(predicted)
  if (anyNA(truth) || anyNA(predicted)) cli::cli_abort("{.arg predicted} and {.arg truth} must not contain NA.")
  types <- sort(unique(truth))
  counts <- as.data.frame(table(truth = factor(truth, types),
                                predicted = factor(predicted, c(types, setdiff(sort(unique(predicted)), types)))),
                          responseName = "cells")
  counts$fraction <- counts$cells / tabulate(match(truth, types), length(types))[as.integer(counts$truth)]
  counts$truth <- factor(counts$truth, rev(types))
  subtitle <- sprintf("accuracy %.3f, macro-F1 %.3f (%d cells)", mean(predicted == truth), macro_f1(truth, predicted), length(truth))
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

# Mean over the true types of the F1 score of each (a type never predicted scores 0).
macro_f1 <- function(truth, predicted) {
  f1 <- vapply(sort(unique(truth)), function(type) {
    tp <- sum(predicted == type & truth == type)
    if (tp == 0) return(0)
    2 * tp / (sum(predicted == type) + sum(truth == type))
  }, numeric(1))
  mean(f1)
}
