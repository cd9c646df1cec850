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
  if (is_sctrans(model$config)) {
    cli::cli_abort(c("SCTrans models attend over gene sub-vectors, not single genes.",
                     "i" = "Use {.fn salient_features} for the selected sub-vectors and their genes per cell type."))
  }
  run <- run_settings(batch_size, num_threads, device, precision)
  source <- cell_source(x, assay, layer)
  groups <- if (is.null(group_by)) NULL else resolve_groups(group_by, x, ncol(source))
  scores <- run_on_cells(model, x, source, assay, sclm_gene_attention, run, min_overlap, verbose, combine = cbind,
                         per_block = function(att, counts) {
                           Matrix::sparseMatrix(i = att$feature + 1L, j = att$cell + 1L, x = att$score,
                                                dims = c(length(model$features), ncol(counts)))
                         })$result
  dimnames(scores) <- list(model$features, colnames(source))
  if (is.null(groups)) return(scores)
  membership <- Matrix::sparseMatrix(i = seq_along(groups), j = as.integer(groups), x = 1,
                                     dims = c(length(groups), nlevels(groups)))
  means <- as.matrix(scores %*% membership) / rep(tabulate(as.integer(groups), nlevels(groups)), each = nrow(scores))
  dimnames(means) <- list(model$features, levels(groups))
  means
}

resolve_groups <- function(group_by, x, n_cells, call = parent.frame()) {
  group_by <- metadata_column_or_value(group_by, x, n_cells, "group_by", call)
  if (length(group_by) != n_cells || anyNA(group_by)) {
    cli::cli_abort("{.arg group_by} must have one non-NA group per cell ({n_cells}).", call = call)
  }
  if (is.factor(group_by)) droplevels(group_by) else factor(as.character(group_by))
}
