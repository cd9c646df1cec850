#' Gene importance from attention
#'
#' For every cell, the attention the CLS token (whose state feeds the classifier) pays to
#' each of the cell's gene tokens in the last transformer block, averaged over heads. Genes a
#' cell does not express (or that fall outside its top `max_tokens`) get no attention. With
#' `group_by`, scores are averaged over the cells of each group (cells without the gene count
#' as 0), ranking genes per cell type.
#'
#' @inheritParams annotate_cells
#' @param group_by `NULL` for per-cell scores, or one group per cell (e.g. predicted labels),
#'   or the name of a `colData` / `meta.data` column of `x`.
#' @return Without `group_by`, a sparse genes x cells `dgCMatrix` (the model's genes as rows);
#'   with it, a dense genes x groups matrix.
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' train <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   pbmc$counts[, train], labels = pbmc$cell_type[train],
#'                   epochs = 2, verbose = FALSE)
#' cells <- 2:201
#' scores <- attention_scores(model, pbmc$counts[, cells], group_by = pbmc$cell_type[cells],
#'                            verbose = FALSE)
#' head(sort(scores[, "B"], decreasing = TRUE))
#' @export
attention_scores <- function(model, x, group_by = NULL, assay = NULL, layer = NULL, batch_size = 256L,
                             min_overlap = 0.25, num_threads = default_threads(), device = "auto", precision = "fp32",
                             verbose = TRUE) {
  check_model(model)
  check_supports(model$config, "attention")
  run <- run_settings(batch_size, num_threads, device, precision)
  source <- cell_source(x, assay, layer)
  groups <- if (is.null(group_by)) NULL else resolve_groups(group_by, x, source$n_cells)
  scores <- run_on_cells(model, x, source, assay, engine_attention, model$encoder_weights, run,
                         min_overlap = min_overlap, verbose = verbose, combine = cbind,
                         per_block = function(att, counts, index) {
                           Matrix::sparseMatrix(i = att$feature + 1L, j = att$cell + 1L, x = att$score,
                                                dims = c(length(model$features), ncol(counts)))
                         })$result
  dimnames(scores) <- list(model$features, source$cells)
  if (is.null(groups)) return(scores)
  membership <- Matrix::sparseMatrix(i = seq_along(groups), j = as.integer(groups), x = 1,
                                     dims = c(length(groups), nlevels(groups)))
  means <- as.matrix(scores %*% membership) / rep(tabulate(as.integer(groups), nlevels(groups)), each = nrow(scores))
  dimnames(means) <- list(model$features, levels(groups))
  means
}
