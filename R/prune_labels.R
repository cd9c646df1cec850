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
  annotation <- host_annotation(result, prefix)
  if (is.null(annotation) && is.null(host_cell_data(result))) {
    cli::cli_abort(c("{.arg result} must be the output of {.fn annotate_cells}, not {.cls {class(result)[1]}}."))
  }
  if (!all(c("labels", "max.prob") %in% names(annotation))) {
    cli::cli_abort(c("{.arg result} has no scLM annotation (columns {.val {paste0(prefix, c('labels', 'max.prob'))}}).",
                     "i" = "Run {.fn annotate_cells} first, with the same {.arg prefix}."))
  }
  pruned <- ifelse(annotation$max.prob < threshold, unknown, annotation$labels)
  host_add_annotation(result, S4Vectors::DataFrame(pruned.labels = pruned, row.names = rownames(annotation)), info = NULL, prefix)
}
