#' Re-threshold predicted labels without re-running the model
#'
#' Sets the pruned label of every cell whose highest class probability is below `threshold`
#' to `unknown`, as SingleR's `pruneScores()` does for its scores.
#'
#' @param result The output of [annotate_cells()]: a DataFrame, SingleCellExperiment or Seurat
#'   object.
#' @param threshold New probability threshold in \[0, 1\].
#' @param unknown Label for cells below the threshold (may be `NA`).
#' @param prefix Column prefix used by [annotate_cells()] for objects.
#' @return `result` with updated pruned labels.
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' train <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   pbmc$counts[, train], labels = pbmc$cell_type[train],
#'                   epochs = 2, verbose = FALSE)
#' result <- annotate_cells(model, pbmc$counts[, 2:101], verbose = FALSE)
#' strict <- prune_labels(result, threshold = 0.9)
#' table(strict$pruned.labels)
#' @export
prune_labels <- function(result, threshold, unknown = "Unknown", prefix = "scLM_") {
  check_number(threshold, 0, 1, "threshold")
  check_unknown(unknown)
  prune <- function(labels, max_prob) ifelse(max_prob < threshold, unknown, labels)
  columns <- paste0(prefix, c("labels", "max.prob", "pruned.labels"))
  missing_columns <- function(available) {
    cli::cli_abort(c("{.arg result} has no scLM annotation (columns {.val {columns[1:2]}}).",
                     "i" = "Run {.fn annotate_cells} first, with the same {.arg prefix}."), call = parent.frame(2))
  }
  if (inherits(result, "Seurat")) {
    meta <- result[[]]
    if (!all(columns[1:2] %in% names(meta))) missing_columns()
    result[[columns[3]]] <- prune(meta[[columns[1]]], meta[[columns[2]]])
    return(result)
  }
  if (is(result, "SummarizedExperiment")) {
    cd <- SummarizedExperiment::colData(result)
    if (!all(columns[1:2] %in% names(cd))) missing_columns()
    SummarizedExperiment::colData(result)[[columns[3]]] <- prune(cd[[columns[1]]], cd[[columns[2]]])
    return(result)
  }
  if (is(result, "DataFrame") && all(c("labels", "max.prob") %in% names(result))) {
    result$pruned.labels <- prune(result$labels, result$max.prob)
    return(result)
  }
  cli::cli_abort(c("{.arg result} must be the output of {.fn annotate_cells}, not {.cls {class(result)[1]}}."))
}
