#' scBERT's architecture as a preset
#'
#' The configuration of scBERT (Yang et al. 2022): every vocabulary gene is a position
#' (full length), expression values are binned as `floor(log2(1 + CP10k))` capped at 5 (bins
#' 0-5, plus a MASK value for pretraining), 200-dimensional embeddings, 6 Performer blocks with
#' 10 heads, and the CNN classifier head. On 2 CPU cores it is slow (hours per epoch for
#' thousands of genes); it is meant for a GPU. [scLMConfig()]'s defaults are the CPU-friendly
#' choice.
#'
#' @param n_features,features Vocabulary, as in [scLMConfig()] (scBERT used 16,906 genes).
#' @param ... Other [scLMConfig()] settings to override.
#' @return An `scLM_config`.
#' @examples
#' scbert_config(n_features = 2000)
#' @export
scbert_config <- function(n_features = 16906L, features = NULL, ...) {
  defaults <- list(n_features = n_features, features = features, tokenizer = "bins", full_length = TRUE,
                   bins_per_log2 = 1, max_bin = 5L, dim = 200L, n_layers = 6L, n_heads = 10L, ff_dim = 800L,
                   dropout = 0.1, attention = "performer", performer_features = 256L, redraw_interval = 1000L,
                   head = "cnn")
  do.call(scLMConfig, utils::modifyList(defaults, list(...)))
}
