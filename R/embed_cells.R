#' Cell embeddings from a trained model
#'
#' Runs the model's encoder on every cell, in batches, and returns the pooled cell
#' representation: by default the CLS token's final state next to the mean of the gene tokens'
#' final states (`2 * dim` numbers per cell). Works for fine-tuned and pretrained models.
#'
#' @inheritParams annotate_cells
#' @param pooling `"cls_mean"` (both, `2 * dim` columns), `"cls"` (the CLS state, which the
#'   classifier and the contrastive pretraining term see) or `"mean"` (the mean of the gene
#'   states, which masked pretraining shapes most), `dim` columns each.
#' @param name Name of the reduction added to SingleCellExperiment (`reducedDim`) or Seurat
#'   (`DimReduc`) objects.
#'   For [sctrans_config()] models the embedding joins one vector per scale, the mean state of
#'   its sub-vector tokens plus a read-out learned in fine-tuning (`length(scales) * dim`
#'   columns), and `pooling` must stay at its default.
#' @return A cells x `2 * dim` matrix for matrix input; `x` with a `reducedDim` (SCE) or a
#'   `DimReduc` (Seurat; the model id in its `misc`) for objects.
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' train <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   pbmc$counts[, train], labels = pbmc$cell_type[train],
#'                   epochs = 2, verbose = FALSE)
#' emb <- embed_cells(model, pbmc$counts[, 2:51], verbose = FALSE)
#' dim(emb)
#' @export
embed_cells <- function(model, x, assay = NULL, layer = NULL, batch_size = 256L, min_overlap = 0.25,
                        pooling = c("cls_mean", "cls", "mean"), name = "scLM", num_threads = default_threads(),
                        device = "auto", precision = "fp32", verbose = TRUE) {
  check_model(model)
  check_string(name, "name")
  pooling <- check_choice(pooling, c("cls_mean", "cls", "mean"), "pooling")
  if (pooling != "cls_mean") check_supports(model$config, "pooling")
  run <- run_settings(batch_size, num_threads, device, precision)
  source <- cell_source(x, assay, layer)
  embedding <- run_on_cells(model, x, source, assay, engine_embed, model$encoder_weights, run,
                            min_overlap = min_overlap, verbose = verbose)$result
  dim <- model$config$dim
  embedding <- switch(pooling, cls_mean = embedding, cls = embedding[, seq_len(dim), drop = FALSE],
                      mean = embedding[, dim + seq_len(dim), drop = FALSE])
  dimnames(embedding) <- list(source$cells, paste0(name, "_", seq_len(ncol(embedding))))
  host_add_embedding(x, embedding, model$id, name)
}
