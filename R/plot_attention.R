#' Heatmap of the most attended features per cell type
#'
#' Takes per-type attention scores from [attention_scores()] (with `group_by`), picks each
#' type's `top_n` features and draws them as a features x types heatmap, so the genes (or peak
#' islands) a model looks at for each type, and whether other types share them, can be read at
#' a glance.
#'
#' @param scores A features x groups matrix from `attention_scores(model, x, group_by = ...)`.
#' @param top_n Features shown per group.
#' @param scale `TRUE` scales each feature's scores to a maximum of 1 across groups (shows
#'   where a feature is attended most); `FALSE` shows the raw mean attention.
#' @return A ggplot2 object; its data hold `feature`, `group`, `score` (mean attention),
#'   `value` (what the fill shows) and `top_of` (the group the feature is a top feature of).
#' @seealso [attention_scores()]
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' train <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   pbmc$counts[, train], labels = pbmc$cell_type[train],
#'                   epochs = 2, verbose = FALSE)
#' cells <- seq(2, ncol(pbmc$counts), by = 6)
#' scores <- attention_scores(model, pbmc$counts[, cells], group_by = pbmc$cell_type[cells],
#'                            verbose = FALSE)
#' plot_attention(scores, top_n = 3)
#' @export
plot_attention <- function(scores, top_n = 5L, scale = TRUE) {
  if (inherits(scores, "sparseMatrix")) {
    cli::cli_abort(c("{.arg scores} holds one column per cell.",
                     "i" = "Average them per cell type first: {.code attention_scores(model, x, group_by = labels)}."))
  }
  if (!is.matrix(scores) || !is.numeric(scores) || is.null(rownames(scores)) || is.null(colnames(scores))) {
    cli::cli_abort(c("{.arg scores} must be a features x groups matrix with dimnames.",
                     "i" = "Make one with {.code attention_scores(model, x, group_by = labels)}."))
  }
  top_n <- check_count(top_n, 1L, arg = "top_n")
  check_flag(scale, "scale")
  # Each group's top features, in group order; a feature already shown for an earlier group stays there.
  top <- lapply(colnames(scores), function(g) utils::head(order(scores[, g], decreasing = TRUE), top_n))
  owner <- rep(colnames(scores), lengths(top))
  rows <- unlist(top)
  keep <- !duplicated(rows)
  rows <- rows[keep]
  owner <- owner[keep]
  shown <- scores[rows, , drop = FALSE]
  value <- if (scale) shown / pmax(apply(shown, 1, max), .Machine$double.eps) else shown
  features <- rownames(scores)[rows]
  data <- data.frame(feature = factor(rep(features, ncol(scores)), levels = rev(features)),
                     group = factor(rep(colnames(scores), each = length(rows)), levels = colnames(scores)),
                     score = as.vector(shown), value = as.vector(value),
                     top_of = factor(rep(owner, ncol(scores)), levels = colnames(scores)))
  ggplot2::ggplot(data, ggplot2::aes(.data$group, .data$feature, fill = .data$value)) +
    ggplot2::geom_tile() +
    ggplot2::scale_fill_viridis_c(name = if (scale) "attention\n(scaled)" else "attention") +
    ggplot2::labs(x = NULL, y = NULL) +
    ggplot2::theme_minimal() +
    ggplot2::theme(axis.text.x = ggplot2::element_text(angle = 45, hjust = 1), panel.grid = ggplot2::element_blank())
}
