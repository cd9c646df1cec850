#' SCTrans: multi-scale gene sub-vector tokens with gene selection
#'
#' The configuration of an SCTrans model (Lin et al., IJCAI 2024). A cell's expression,
#' `log1p(CP10k)` of every vocabulary gene in vocabulary order, is cut into consecutive
#' sub-vectors of `scales` genes (128 and 256 by default; the paper uses 16, 32 and 64); each sub-vector is projected to one
#' token by a linear map of its scale, and a learned position embedding marks its place. All
#' tokens form one sequence, so the queries of every scale attend over the keys and values of
#' all scales (multi-scale attention); the cell representation concatenates one vector per scale
#' (`length(scales) * dim` numbers, see [embed_cells()]): the mean output state of its tokens plus
#' a linear read-out of all of them in order, which keeps where in the gene order a signal sits.
#' The read-out starts at zero and is learned in fine-tuning (a pretrained-only encoder pools by
#' the mean); without it our models stayed near 0.69 macro-F1 on pbmc3k, with it 0.90.
#'
#' * Pretraining ([pretrain()]) is masked sub-vector completion, a masked autoencoder: per
#'   cell, `mask_fraction` (default 0.75) of the gene blocks of the largest scale are hidden at
#'   every scale (so a hidden gene cannot be read from a coarser sub-vector), the encoder sees
#'   the visible tokens only, and a light decoder (one block) reconstructs the hidden
#'   sub-vectors (mean squared error); plus, by default, [pretrain()]'s contrastive term (two
#'   random halves of each cell's genes must find each other among the batch), without which
#'   pretraining on 10,335 scATAC cells did not pay.
#' * Fine-tuning ([finetune()]) minimises the cross-entropy of the classifier on the encoder
#'   plus a supervised contrastive term (cells of one type pulled together, temperature
#'   `temperature`, weight `contrastive_weight`) and trains the gene-selection module: the
#'   scores `S = QK^T / sqrt(dim)` of the tokens (the query from the cell's mean state, the
#'   keys from each token's state, standardised within the cell) give a soft mask
#'   `M = sigmoid(sharpness * (S - theta))` with a learned threshold `theta`. `M` weights the
#'   sub-vectors fed to a lightweight second encoder (`light_layers` blocks) with its own
#'   classifier; the two classifiers learn from each other (KL divergence both ways, weight
#'   `mutual_weight`), and a penalty (weight `selection_weight`) keeps the mean of `M` near
#'   `keep_share`. [salient_features()] reports the selected sub-vectors and their genes.
#'
#' Sub-vectors group neighbouring genes of the vocabulary, so the gene order matters:
#' * `"coexpression"` (the default for genes): features ordered by average-linkage hierarchical
#'   clustering of their correlation (`log1p(CP10k)`, up to 2,000 training cells sampled with the
#'   seed), so a sub-vector holds genes that vary together (peak islands: islands open together).
#'   The features are clustered in name order, so the model does not depend on the order of the
#'   matrix's rows. The correlations are a dense features x features
#'   matrix (0.8 GB at 10,000 features), so larger vocabularies keep the vocabulary order.
#' * `"vocabulary"` (the default for peak islands): the vocabulary order. Chosen from a count
#'   matrix, the vocabulary keeps the matrix's row order (for Cell Ranger output that is genome
#'   order; elsewhere often alphabetical); peak islands are in genome order. On the 16 fine types
#'   of the Granja bone-marrow set, islands in co-accessibility order were within the seed noise
#'   of genome order (macro-F1 0.617 vs 0.623, seeds 1-3; `bench/README.md`).
#' * `"chromosome"` (genes only): genes sorted by chromosome and start position from
#'   `gene_positions`; genes without a position follow in vocabulary order.
#'
#' This is [finetune()]'s default model for genes, trained as an ensemble of three
#' (`finetune(n_models = )`). Its defaults differ from the paper's in four places, chosen on the
#' annotation tasks of `bench/annotation_tasks.R` (`bench/annotation_levers.R`): coarse sub-vectors
#' of 128 and 256 genes (with 2,000 genes, 24 tokens; three such models train in about the time of
#' one of 32/64, and beat it on 8 of 12 tasks, mean macro-F1 over seeds 1-3 0.949 vs 0.937, the
#' symphony cross-batch tasks by 0.013 to 0.037; smaller vocabularies halve both scales until the
#' larger is at most half of `n_features`), `dim = 64` (0.888 vs 0.864 mean macro-F1 over the three
#' symphony tasks, seed 1, for 32/64) and the co-expression order (for 32/64: mean over seeds 1-3
#' on nine tasks +0.009; see `bench/README.md`); and for genes predictions read the selection
#' encoder's classifier beside the main one (`light_weight = 0.25`).
#' `sctrans_config(light_weight = 0)` is the setting before; `sctrans_config(scales = c(32, 64),
#' light_weight = 0)` with `finetune(n_models = 1)` the one before it; `sctrans_config(scales =
#' c(16, 32, 64), dim = 32, gene_order = "vocabulary", light_weight = 0)` the one before that.
#'
#' With `modality = "atac"` the features are scATAC peak islands, chosen and mapped as for
#' [annatac_config()] (the `n_features` most open `island_size` islands, a query's peaks placed
#' by overlap) and kept in genome order, so a sub-vector is a stretch of neighbouring islands
#' (512 and 1,024 of them by default); a cell's values are `log1p(CP10k)` of its island values.
#' This is [finetune()]'s default model for peaks on references of 2,000 cells or more, where
#' it trains an ensemble of three (`finetune(n_models = )`). On 8,269 cells of the Granja
#' bone-marrow set (16 fine types), seeds 1-3: one model of 128/256-island sub-vectors
#' reached macro-F1 0.623 in 230-261 s (annATAC's token model 0.587 in 769 s, seed 1), one of
#' 512/1024 0.611 in 62-80 s, three of 512/1024 0.648 in 202-217 s; on 480 cells annATAC's
#' token model was the more accurate (see `bench/README.md`). The pretraining results of
#' `bench/atac_scale.R` were measured with 128/256-island sub-vectors.
#'
#' @inheritParams scLMConfig
#' @param n_features Size of the vocabulary: for genes (default 2,000) the most variable genes
#'   of the training cells (Seurat's vst method), after each class's 20 marker genes when
#'   fine-tuned on labels (largest mean `log1p(CP10k)` above the mean of the other classes' means;
#'   at most half the vocabulary); for peaks (default 10,000) the most open islands. Ignored when
#'   `features` is given.
#' @param scales Sub-vector sizes in features; distinct, and each must divide the largest.
#'   Default 128 and 256 for genes, 512 and 1024 for peak islands, both halved until the larger
#'   is at most half of `n_features`.
#' @param gene_order `"coexpression"` (default for up to 10,000 genes), `"vocabulary"` (default
#'   for peak islands and larger vocabularies) or `"chromosome"` (genes only; see Details).
#' @param gene_positions For `gene_order = "chromosome"`: `"human"` (the positions of GRCh38
#'   genes shipped with scLM, from org.Hs.eg.db, matched by symbol), a data.frame with columns
#'   `gene`, `chrom` and `start`, or a GRanges named by gene (or with a `gene_name` column).
#' @param attention `"full"` or `"performer"`.
#' @param light_layers Transformer blocks of the second (selection) encoder.
#' @param contrastive_weight,temperature Weight and temperature of the supervised contrastive
#'   term.
#' @param mutual_weight Weight of the two KL terms of mutual learning.
#' @param keep_share Target mean of the selection mask (the share of sub-vectors kept).
#' @param sharpness Slope `T` of the selection mask.
#' @param selection_weight Weight of the penalty `(mean(M) - keep_share)^2`.
#' @param light_weight Share of the second (selection) classifier in predictions: [annotate_cells()]
#'   (and the calibration of its unknown-type score) reads the logits
#'   `(1 - light_weight) * main + light_weight * light`, an ensemble of the two classifiers at no
#'   extra training. 0 reads the main classifier alone; validation and the choice of the best
#'   epoch always read the main one. Default (`NULL`): 0.25 for genes, 0 for peak islands. On
#'   the twelve RNA annotation tasks of `bench/annotation_tasks.R`, seeds 1-6, a quarter share
#'   raised macro-F1 on 30 of 72 task-seed pairs and lowered it on 15 (mean +0.005; the small
#'   pbmc3k reference +0.009, symphony's cross-batch queries +0.003 to +0.018, mouse bladder
#'   +0.016, pbmc3k -0.001), at about three quarters of the annotation speed (both encoders run).
#' @return An `scLM_config`.
#' @seealso [salient_features()], [finetune()], [pretrain()]
#' @examples
#' cfg <- sctrans_config(n_features = 1000)
#' cfg
#' sctrans_config(scales = c(8, 16), gene_order = "coexpression")
#' sctrans_config(modality = "atac")
#' @export
sctrans_config <- function(n_features = NULL, features = NULL, scales = NULL,
                           gene_order = c("coexpression", "vocabulary", "chromosome"), gene_positions = NULL,
                           dim = 64L, n_layers = 2L, n_heads = 4L, ff_dim = 2L * dim, dropout = 0.1,
                           attention = c("full", "performer"), light_layers = 1L, contrastive_weight = 0.1,
                           temperature = 0.1, mutual_weight = 1, keep_share = 0.25, sharpness = 10,
                           selection_weight = 1, light_weight = NULL, scale_factor = 1e4, modality = c("rna", "atac"),
                           island_size = 5000L, tss = NULL) {
  attention <- check_choice(attention, c("full", "performer"), "attention")
  modality <- check_choice(modality, c("rna", "atac"), "modality")
  atac <- modality == "atac"
  config <- scLMConfig(n_features = n_features %||% if (atac) 10000L else 2000L, features = features, dim = dim,
                       n_layers = n_layers, n_heads = n_heads, ff_dim = ff_dim, dropout = dropout,
                       attention = attention, scale_factor = scale_factor, modality = modality,
                       island_size = island_size, tss = tss)
  n <- if (is.null(config$features)) config$n_features else length(config$features)
  gene_order <- if (missing(gene_order) && (atac || n > max_coexpression_features)) "vocabulary" else
    check_choice(gene_order, c("coexpression", "vocabulary", "chromosome"), "gene_order")
  if (gene_order == "coexpression" && n > max_coexpression_features) {
    cli::cli_abort(c("{.code gene_order = \"coexpression\"} orders at most {max_coexpression_features} features, not {n}.",
                     "i" = "Use {.code gene_order = \"vocabulary\"} or fewer {.arg n_features}."))
  }
  if (atac && gene_order == "chromosome") {
    cli::cli_abort(c("{.code gene_order = \"chromosome\"} applies to genes; peak islands carry their own positions.",
                     "i" = "Use {.code gene_order = \"vocabulary\"} for genome order."))
  }
  if (gene_order == "chromosome" && is.null(gene_positions)) {
    cli::cli_abort(c("{.code gene_order = \"chromosome\"} needs {.arg gene_positions}.",
                     "i" = "Use {.code gene_positions = \"human\"} for human gene symbols, or give a data.frame with {.field gene}, {.field chrom} and {.field start}."))
  }
  if (!is.null(gene_positions) && gene_order != "chromosome") {
    cli::cli_abort("{.arg gene_positions} is used with {.code gene_order = \"chromosome\"} only.")
  }
  config$tokenizer <- "subvectors"
  config$full_length <- TRUE
  config$gene_order <- gene_order
  config$gene_positions <- if (gene_order == "chromosome") gene_position_table(gene_positions)
  config$subvectors <- list(
    scales = check_scales(scales %||% default_scales(atac, config$n_features), config$n_features),
    light_layers = check_count(light_layers, 1L, 64L),
    sharpness = check_number(sharpness, 0.01, 1000, "sharpness"),
    keep_share = check_number(keep_share, 0.01, 0.99, "keep_share"),
    contrastive_weight = check_number(contrastive_weight, 0, 100, "contrastive_weight"),
    temperature = check_number(temperature, 0.001, 10, "temperature"),
    mutual_weight = check_number(mutual_weight, 0, 100, "mutual_weight"),
    selection_weight = check_number(selection_weight, 0, 1000, "selection_weight"),
    light_weight = check_number(light_weight %||% default_light_weight(atac), 0, 1, "light_weight"))
  new_config(config)
}

# Default sub-vector sizes: 128 / 256 genes or 512 / 1,024 peak islands, halved until the larger
# is at most half of the vocabulary.
default_scales <- function(atac, n_features) {
  scales <- if (atac) c(512L, 1024L) else c(128L, 256L)
  while (2L * scales[2] > n_features && scales[1] > 1L) scales <- scales %/% 2L
  scales
}

# The share of the light classifier in predictions: a quarter for genes (12 annotation tasks,
# seeds 1-6: mean macro-F1 +0.005, 30 pairs up, 15 down; bench/README.md, "Stop 46"); none for
# peak islands (16 fine types, seeds 1-3: 0.664 / 0.657 at a quarter / a half vs 0.665).
default_light_weight <- function(atac) if (atac) 0 else 0.25

# The co-expression order clusters a dense features x features correlation matrix (0.8 GB at
# 10,000 features); more features keep the vocabulary order.
max_coexpression_features <- 10000L

check_scales <- function(scales, n_features, call = parent.frame()) {
  if (!is.numeric(scales) || length(scales) < 1L || anyNA(scales) || any(scales < 1) || any(scales != round(scales))) {
    cli::cli_abort("{.arg scales} must be positive whole numbers (genes per sub-vector), e.g. {.code c(16, 32, 64)}.", call = call)
  }
  scales <- as.integer(scales)
  if (anyDuplicated(scales)) cli::cli_abort("{.arg scales} must be distinct, not {.val {scales}}.", call = call)
  largest <- max(scales)
  if (any(largest %% scales != 0L)) {
    cli::cli_abort(c("Every sub-vector scale must divide the largest ({largest}); {.val {scales[largest %% scales != 0L]}} do{?es/} not.",
                     "i" = "Nested scales let masking hide a gene at every scale; try {.code c(16, 32, 64)}."), call = call)
  }
  if (largest * 2L > n_features) {
    cli::cli_abort("The largest scale ({largest} genes) must be at most half of {.arg n_features} ({n_features}).", call = call)
  }
  scales
}
