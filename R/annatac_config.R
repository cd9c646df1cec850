#' annATAC's scATAC-seq model as a preset
#'
#' The configuration of annATAC (scATAC-seq cell annotation with a language model): peaks are
#' grouped into 5 kb peak islands; an island's value in a cell is the ceiling of the mean count of
#' its peaks, capped at 5 (value classes 0-5, plus MASK for pretraining); each island's position
#' embedding is its vector in a truncated SVD of the TF-IDF island x cell matrix, kept fixed;
#' 4 Linformer blocks with one length projection shared by all layers; and a CNN classifier head
#' (one score per island, then fully connected layers).
#'
#' One difference: annATAC feeds every island of the vocabulary, open or not (`full_length =
#' TRUE`). Here a cell's tokens are its open islands (up to `max_tokens`), and the CNN head puts
#' each island's score in that island's slot, so closed islands still count (as 0) in the head.
#' A cell has a few hundred open islands out of thousands, so this is 10-50 times less work; on
#' the bundled bone-marrow cells it also learned where full length did not (see
#' `bench/atac_granja.R` and the README). `annatac_config(full_length = TRUE)` restores annATAC's
#' sequences. Pretrain it with [pretrain()]
#' (`balanced_masking = TRUE` is annATAC's class-balanced masking), fine-tune with [finetune()]
#' (`class_weights = "annatac"` weighs class c by `(1 - n_c / N)^2`), and call cells whose
#' highest probability is below `threshold` unknown with [annotate_cells()].
#'
#' Input: a Signac object (its ChromatinAssay's ranges are used), a Seurat object whose assay has
#' peak row names, a SingleCellExperiment with peak row names (or rowRanges), or a peaks x cells
#' count matrix with row names `chr-start-end` or `chr:start-end`.
#'
#' @param n_features Islands in the vocabulary: the ones open in the most training cells.
#' @param island_size Island width in bp.
#' @param tss Optional TSS annotation: keep only islands holding a TSS (see [scLMConfig()] for
#'   the accepted forms and how to get one offline).
#' @param max_tokens Open islands kept per cell (the highest values first).
#' @param dim,n_layers,n_heads,linformer_k Model size (see [scLMConfig()]).
#' @param ... Other [scLMConfig()] settings to override.
#' @return An `scLM_config`.
#' @seealso [scLMConfig()], [pretrain()], [finetune()], [annotate_cells()]
#' @examples
#' annatac_config()
#' atac <- readRDS(system.file("extdata", "granja_bm_atac.rds", package = "scLM"))
#' model <- finetune(annatac_config(dim = 16, n_layers = 1), atac$counts, atac$cell_type,
#'                   epochs = 1, verbose = FALSE)
#' model
#' @export
annatac_config <- function(n_features = 20000L, island_size = 5000L, tss = NULL, max_tokens = 2048L, dim = 32L,
                           n_layers = 4L, n_heads = 4L, linformer_k = 64L, ...) {
  defaults <- list(modality = "atac", n_features = n_features, island_size = island_size, tss = tss,
                   tokenizer = "counts", max_bin = 5L, full_length = FALSE, max_tokens = max_tokens, dim = dim,
                   n_layers = n_layers,
                   n_heads = n_heads, attention = "linformer", linformer_k = linformer_k, share_projection = TRUE,
                   head = "cnn", position_embedding = "svd", freeze_positions = TRUE)
  do.call(scLMConfig, utils::modifyList(defaults, list(...)))
}
