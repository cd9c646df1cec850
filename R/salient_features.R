#' Salient gene sub-vectors of an SCTrans model
#'
#' Runs the gene-selection module of a fine-tuned [sctrans_config()] model on every cell: each
#' sub-vector token gets a selection score (standardised within the cell) and a mask value
#' `M = sigmoid(sharpness * (score - theta))` in \[0, 1\]; a sub-vector is selected in a cell
#' when `M > 0.5`. Per group of cells (by default the predicted cell type), the sub-vectors are
#' ranked by how often they are selected, then by mean mask, and reported with their genes.
#'
#' @inheritParams annotate_cells
#' @param group_by `NULL` (the model's predicted label of each cell), one group per cell, or the
#'   name of a `colData` / `meta.data` column of `x`.
#' @param top_n Sub-vectors reported per group (`Inf`: all).
#' @return A data.frame with one row per group and sub-vector, best first within each group:
#'   `group`, `rank`, `token` (index among all sub-vectors), `scale` (genes per sub-vector),
#'   `position` (index within its scale), `genes` (the vocabulary genes it holds, comma
#'   separated), `selected` (share of the group's cells selecting it), `mask` (mean `M`),
#'   `score` (mean standardised score) and `n_cells`. The per-cell mask (cells x sub-vectors)
#'   is attached as `attr(result, "mask")`.
#' @seealso [sctrans_config()], [attention_scores()] for token models
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' train <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(sctrans_config(n_features = 256, scales = c(8, 16)),
#'                   pbmc$counts[, train], labels = pbmc$cell_type[train],
#'                   epochs = 2, n_models = 1, verbose = FALSE)
#' salient <- salient_features(model, pbmc$counts[, 2:201], top_n = 3, verbose = FALSE)
#' head(salient)
#' @export
salient_features <- function(model, x, group_by = NULL, top_n = 10L, assay = NULL, layer = NULL, batch_size = 256L,
                             min_overlap = 0.25, num_threads = default_threads(), device = "auto", precision = "fp32",
                             verbose = TRUE) {
  check_classifier(model)
  check_supports(model$config, "salience")
  if (!identical(top_n, Inf)) top_n <- check_count(top_n, 1L)
  run <- run_settings(batch_size, num_threads, device, precision)
  source <- cell_source(x, assay, layer)
  groups <- if (is.null(group_by)) NULL else resolve_groups(group_by, x, source$n_cells)
  salience <- run_on_cells(model, x, source, assay, engine_salience, model$weights, run,
                           min_overlap = min_overlap, verbose = verbose, combine = rbind_fields)$result
  if (is.null(groups)) groups <- factor(model$labels[max.col(salience$logits, ties.method = "first")], levels = model$labels)
  groups <- droplevels(groups)
  tokens <- subvector_tokens(model$features, model$config$subvectors$scales)
  rows <- lapply(levels(groups), function(g) {
    cells <- which(groups == g)
    mask <- salience$mask[cells, , drop = FALSE]
    out <- data.frame(group = g, token = seq_len(nrow(tokens)), scale = tokens$scale, position = tokens$position,
                      genes = tokens$genes, selected = colMeans(mask > 0.5), mask = colMeans(mask),
                      score = colMeans(salience$scores[cells, , drop = FALSE]), n_cells = length(cells),
                      stringsAsFactors = FALSE)
    out <- out[order(-out$selected, -out$mask), , drop = FALSE]
    out$rank <- seq_len(nrow(out))
    utils::head(out, min(top_n, nrow(out)))
  })
  result <- do.call(rbind, rows)
  result <- result[, c("group", "rank", "token", "scale", "position", "genes", "selected", "mask", "score", "n_cells")]
  rownames(result) <- NULL
  mask <- salience$mask
  dimnames(mask) <- list(source$cells, paste0("s", tokens$scale, "_", tokens$position))
  attr(result, "mask") <- mask
  result
}

# The sub-vector tokens of a vocabulary, in the core's order (scales as given, then position).
subvector_tokens <- function(features, scales) {
  do.call(rbind, lapply(scales, function(s) {
    n <- ceiling(length(features) / s)
    first <- (seq_len(n) - 1L) * s
    genes <- vapply(first, function(b) paste(features[(b + 1L):min(length(features), b + s)], collapse = ","), "")
    data.frame(scale = s, position = seq_len(n), genes = genes, stringsAsFactors = FALSE)
  }))
}
