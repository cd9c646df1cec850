#' Model and tokenizer settings
#'
#' Describes the model scLM trains: which genes form its vocabulary, how a cell becomes tokens,
#' and the size of the transformer. Each token is a gene embedding plus a value embedding. The
#' tokenizer decides which genes of a cell become tokens and what the value is:
#' * `"bins"` (scBERT): the cell's `max_tokens` most expressed vocabulary genes; the value is
#'   the expression bin `min(floor(bins_per_log2 * log2(1 + CP10k)), max_bin)` (scBERT's
#'   binning at `bins_per_log2 = 1`).
#' * `"value_bins"` (scGPT): the cell's non-zero genes (its top `max_tokens`) plus
#'   `zero_share` sampled zero genes per non-zero gene; the value is the per-cell quantile bin
#'   (1 to `max_bin`) of the non-zero values, 0 for zeros.
#' * `"rank"` (Geneformer): the top `max_tokens` genes by CP10k divided by the gene's median
#'   non-zero CP10k in the training (or pretraining) cells; the value is the rank, so the value
#'   embedding is Geneformer's positional embedding.
#' * `"counts"` (annATAC): the value is the count itself, capped at `max_bin`
#'   (`min(ceiling(count), max_bin)`): peak-island values 0 to 5.
#'
#' With `modality = "atac"` the features are peak islands (annATAC): the genome is cut into
#' bins of `island_size` bp; an island is a bin that peaks overlap, and its value in a cell is
#' the ceiling of the mean count of the peaks overlapping it (a peak crossing a bin edge belongs
#' to both bins). The vocabulary is the `n_features` islands open in the most training cells,
#' stored in the model with their coordinates (names `chrom-start-end`); a query's peaks are
#' mapped onto them by genomic overlap, not by name. [annatac_config()] sets up annATAC's model.
#'
#' With `full_length = TRUE` (bins and value bins) every vocabulary gene is a position, zeros
#' included, as in scBERT; pair it with `"performer"` or `"linformer"` attention, whose cost
#' grows linearly with the number of positions. The encoder is a pre-LayerNorm transformer, and
#' the cell embedding is the CLS state next to the mean of the gene states.
#'
#' The defaults are chosen to train in a few minutes on 2 CPU cores (see the README for
#' measurements on pbmc3k); [scbert_config()] gives scBERT's published architecture.
#'
#' @param n_features Number of highly variable genes of the training cells (Seurat's vst
#'   method) that form the vocabulary. Ignored when `features` is given.
#' @param features Optional character vector: the vocabulary, in order.
#' @param max_tokens Genes kept per cell (its top `max_tokens` by expression).
#' @param max_bin `"bins"`: highest expression bin, higher values are capped; `"value_bins"`:
#'   number of quantile bins.
#' @param bins_per_log2 Bins per doubling of expression: the bin is
#'   `min(floor(bins_per_log2 * log2(1 + CP10k)), max_bin)`; 1 is scBERT's binning. The
#'   default 3 (with `max_bin = 30`) raised mean macro-F1 on pbmc3k from 0.862 to 0.902 over 3
#'   seeds (`bench/pbmc3k_seeds.R`).
#' @param dim Embedding width.
#' @param n_layers Number of transformer blocks.
#' @param n_heads Attention heads; must divide `dim`.
#' @param ff_dim Width of the feed-forward layer in each block.
#' @param dropout Dropout probability.
#' @param scale_factor Library size the counts are scaled to before the log (10,000: CP10k).
#' @param tokenizer `"bins"`, `"value_bins"` or `"rank"` (see Details).
#' @param full_length Every vocabulary gene is a position (`"bins"`, `"value_bins"`).
#' @param zero_share `"value_bins"`: zero genes sampled per non-zero gene kept (scGPT trains
#'   with some zeros); the sample is fixed per cell, so results do not depend on batching.
#' @param attention `"full"` (exact softmax), `"performer"` (FAVOR+ positive random features,
#'   linear cost) or `"linformer"` (a learned projection of the sequence to `linformer_k`
#'   slots, linear cost).
#' @param performer_features Random features per head for Performer.
#' @param redraw_interval Performer: draw new random features every this many training steps
#'   (0: never).
#' @param linformer_k Projected length for Linformer.
#' @param share_projection Linformer: one projection shared by all layers (and heads).
#' @param modality `"rna"` (features are genes) or `"atac"` (features are peak islands built
#'   from peaks; see Details).
#' @param island_size `"atac"`: island (genome bin) width in bp.
#' @param tss `"atac"`: optional transcription start sites; only islands holding one are kept
#'   in the vocabulary. A GRanges of genes or transcripts (their strand-aware starts are used,
#'   e.g. `ensembldb::transcripts(edb)` from an EnsDb), a data.frame with columns `chrom` and
#'   `position`, or the path of a GTF file (transcript, else gene, starts). Offline, keep a GTF
#'   of the peaks' genome build (e.g. Ensembl's GRCh37 `Homo_sapiens.GRCh37.87.gtf.gz`, with
#'   chromosome names matching the peaks) or an EnsDb from AnnotationHub's cache next to the data.
#' @param position_embedding `"learned"` (each feature's embedding starts random and is
#'   learned) or `"svd"` (annATAC): each feature starts from its vector in a truncated SVD (via
#'   irlba) of the TF-IDF feature x cell matrix of the training (or pretraining) cells, i.e. its
#'   LSI loadings.
#' @param freeze_positions With `position_embedding = "svd"`: keep the SVD vectors fixed during
#'   training, as annATAC does.
#' @param head Classifier head: `"mlp"` on the pooled cell embedding, or `"cnn"`, scBERT's
#'   1 x `dim` convolution giving one score per gene token, placed in that gene's slot (genes
#'   the cell does not list score 0), followed by fully connected layers over the gene slots.
#'   In full length the slots are scBERT's positions; with top genes only, the head still sees
#'   one input per gene.
#' @return An object of class `scLM_config`.
#' @seealso [scbert_config()], [pretrain()], [finetune()]
#' @examples
#' cfg <- scLMConfig(n_features = 1000, dim = 32)
#' cfg
#' scLMConfig(tokenizer = "rank", attention = "performer")
#' @export
scLMConfig <- function(n_features = 2000L, features = NULL, max_tokens = 256L, max_bin = 30L, bins_per_log2 = 3,
                       dim = 32L, n_layers = 2L, n_heads = 4L, ff_dim = 2L * dim,
                       dropout = 0.1, scale_factor = 1e4, tokenizer = c("bins", "value_bins", "rank", "counts"),
                       full_length = FALSE, zero_share = 0, attention = c("full", "performer", "linformer"),
                       performer_features = 64L, redraw_interval = 0L, linformer_k = 64L,
                       share_projection = FALSE, head = c("mlp", "cnn"), modality = c("rna", "atac"),
                       island_size = 5000L, tss = NULL, position_embedding = c("learned", "svd"),
                       freeze_positions = TRUE) {
  tokenizer <- check_choice(tokenizer, c("bins", "value_bins", "rank", "counts"), "tokenizer")
  modality <- check_choice(modality, c("rna", "atac"), "modality")
  position_embedding <- check_choice(position_embedding, c("learned", "svd"), "position_embedding")
  island_size <- check_count(island_size, 100L, 1e7)
  check_flag(freeze_positions, "freeze_positions")
  if (!is.null(tss) && modality != "atac") {
    cli::cli_abort(c("{.arg tss} applies to scATAC peak islands only.", "i" = "Use {.code modality = \"atac\"} or leave {.arg tss} out."))
  }
  tss <- tss_positions(tss)
  attention <- check_choice(attention, c("full", "performer", "linformer"), "attention")
  head <- check_choice(head, c("mlp", "cnn"), "head")
  n_features <- check_count(n_features, 10L)
  max_tokens <- check_count(max_tokens, 1L)
  max_bin <- check_count(max_bin, 1L, 200L)
  dim <- check_count(dim, 2L, 4096L)
  n_layers <- check_count(n_layers, 1L, 64L)
  n_heads <- check_count(n_heads, 1L)
  ff_dim <- check_count(ff_dim, 1L)
  if (dim %% n_heads != 0L) {
    cli::cli_abort(c("{.arg dim} ({dim}) must be a multiple of {.arg n_heads} ({n_heads}).",
                     "i" = "Try {.code n_heads = {max(which(dim %% seq_len(min(dim, 16L)) == 0L))}}."))
  }
  check_number(bins_per_log2, 0.1, 10, "bins_per_log2")
  check_number(dropout, 0, 0.99, "dropout")
  check_number(scale_factor, 1e-6, Inf, "scale_factor")
  check_flag(full_length, "full_length")
  check_number(zero_share, 0, 10, "zero_share")
  performer_features <- check_count(performer_features, 1L, 4096L)
  redraw_interval <- check_count(redraw_interval, 0L)
  linformer_k <- check_count(linformer_k, 1L, 65536L)
  check_flag(share_projection, "share_projection")
  if (full_length && tokenizer == "rank") {
    cli::cli_abort(c("{.arg full_length} does not apply to the {.val rank} tokenizer.",
                     "i" = "A rank sequence is ordered by expression; use {.code tokenizer = \"bins\"} for full length."))
  }
  if (tokenizer == "value_bins" && max_bin < 2L) cli::cli_abort("{.arg max_bin} must be at least 2 for value bins.")
  if (!is.null(features)) {
    features <- check_feature_names(features, "features")
    if (modality == "atac") check_island_names(features, island_size)
    n_features <- length(features)
  }
  new_config(list(n_features = n_features, features = features, max_tokens = max_tokens,
                 max_bin = max_bin, bins_per_log2 = bins_per_log2, dim = dim, n_layers = n_layers, n_heads = n_heads,
                 ff_dim = ff_dim, dropout = dropout, scale_factor = scale_factor,
                 tokenizer = tokenizer, full_length = full_length, zero_share = zero_share,
                 attention = attention, performer_features = performer_features,
                 redraw_interval = redraw_interval, linformer_k = linformer_k,
                 share_projection = share_projection, head = head, gene_scale = NULL, modality = modality,
                 island_size = island_size, tss = tss, position_embedding = position_embedding,
                 freeze_positions = freeze_positions))
}

#' @export
print.scLM_config <- function(x, ...) {
  cat(sprintf("<scLM_config> %s\n", architecture_text(x)), tokens_line(x), sep = "")
  invisible(x)
}
