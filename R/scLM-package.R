#' scLM: single-cell language models for Seurat and Bioconductor
#'
#' scLM pretrains transformer models on unlabeled cells, fine-tunes them on labeled reference
#' cells and annotates new cells. Start with [scLMConfig()] (or the [scbert_config()] preset),
#' optionally [pretrain()], train with [finetune()], then use [annotate_cells()],
#' [embed_cells()], [attention_scores()], [prune_labels()], [save_model()] and [load_model()].
#' [pretrained_model()] loads a shipped pretrained encoder; [plot_embedding()],
#' [plot_attention()], [plot_confusion()] and [plot_training()] draw results with ggplot2.
#'
#' @keywords internal
#' @useDynLib scLM, .registration = TRUE
#' @importFrom Rcpp evalCpp
#' @importFrom methods as is
#' @importFrom Matrix colSums
#' @importFrom ggplot2 .data
"_PACKAGE"
