#' Pretrain a scLM encoder on unlabeled cells
#'
#' Masked self-supervised training, as scBERT and Geneformer do: in every cell, 15% of the
#' non-zero gene positions are masked (90% of them replaced by a MASK value, the rest left
#' as they are; zeros are never masked) and the model learns to predict their expression bin
#' (for the `"rank"` tokenizer: the masked gene) from the other genes of the cell. The result
#' is an encoder that [finetune()] starts from and that [embed_cells()] and
#' [attention_scores()] use directly.
#'
#' The vocabulary is `config$features` when given, else the union of each dataset's
#' `config$n_features` most variable genes. Datasets of different genes (a gene panel beside a
#' whole transcriptome) are read on one scale: each cell's total is taken as it would be over
#' every gene of all the datasets (from each gene's estimated share of a cell's counts), so a
#' panel's cells are not read at several times the levels of the others' (nor by the
#' co-expression gene order of [sctrans_config()] models); [embed_cells()] reads a query so too. A validation share of cells reports the masked
#' loss every epoch; the weights of the best epoch are kept. With `checkpoint`, the state of the
#' run (weights, optimiser, history) is written after every epoch, atomically, and
#' `resume = TRUE` continues an interrupted run from it: the result is the same as an
#' uninterrupted run with the same seed on CPU.
#'
#' @param x Unlabeled cells: one Seurat object, SingleCellExperiment or genes x cells count
#'   matrix, or a list of them (several datasets; labels are not used). On-disk matrices
#'   (DelayedArray / HDF5Array) are read in blocks of cells and only what the model reads kept, as in
#'   [finetune()]; the rank tokenizer's gene medians then come from 20 evenly spaced runs of
#'   cells, one block in all.
#' @param config An [scLMConfig()].
#' @param epochs Maximum number of passes over the training cells.
#' @param mask_fraction Share of a cell's non-zero positions masked (default 0.15). For
#'   [sctrans_config()] models: the share of gene blocks hidden for masked sub-vector
#'   completion (default 0.75, as a masked autoencoder hides most of its input).
#' @param mask_replace Share of masked positions replaced by the MASK value (the others keep
#'   their value but must still be predicted).
#' @param balanced_masking Mask each value class of a cell equally often (annATAC's
#'   class-balanced masking), so rare high-expression bins are learned too.
#' @param contrastive_weight Weight of a contrastive term added to the masked loss (0: off):
#'   each cell is seen as two random halves of its tokens (for [sctrans_config()] models: of
#'   its genes or peak islands), and the two cell embeddings must pick each other out among the
#'   batch (InfoNCE, see `temperature`). The masked objective alone learns expression levels;
#'   this term makes the embedding reflect what makes cells alike: pretraining paid with it
#'   and not without it, on pbmc3k (token model) and on 10,335 scATAC cells (SCTrans on peak
#'   islands; see bench/README.md). Default 1; 0 turns it off (pretraining then runs about 2.7
#'   times faster for SCTrans models).
#' @param temperature Temperature of the contrastive term's InfoNCE: cosine similarities are
#'   divided by it, so a smaller value sharpens how strongly each cell's two views must pick
#'   each other out (default 0.1).
#' @param checkpoint Optional file to write the training state to after every epoch.
#' @param resume Continue from `checkpoint` if it exists (a checkpoint of other settings or
#'   data is refused).
#' @inheritParams finetune
#' @return An `scLM_model` without labels (an encoder), to pass to [finetune()],
#'   [embed_cells()], [attention_scores()] or [save_model()].
#' @seealso [finetune()]
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' encoder <- pretrain(pbmc$counts[, 1:300], scLMConfig(n_features = 300, max_tokens = 64),
#'                     epochs = 1, verbose = FALSE)
#' encoder
#' @export
pretrain <- function(x, config = scLMConfig(), assay = NULL, layer = NULL, epochs = 10L, batch_size = 32L,
                     learning_rate = 1e-3, weight_decay = 0.01, validation_fraction = 0.05, patience = 5L,
                     mask_fraction = family_defaults(config)$mask_fraction, mask_replace = 0.9,
                     balanced_masking = FALSE, contrastive_weight = family_defaults(config)$contrastive_weight,
                     temperature = 0.1, length_bucketing = FALSE, checkpoint = NULL, resume = FALSE, seed = 1L, num_threads = default_threads(),
                     device = "auto", precision = "fp32", distributed = distributed_config(), verbose = TRUE) {
  started <- proc.time()[["elapsed"]]
  if (!inherits(config, "scLM_config")) {
    cli::cli_abort(c("{.arg config} must be an {.fn scLMConfig}.", "i" = "Use {.code pretrain(x, scLMConfig())}."))
  }
  train <- train_settings(epochs, batch_size, learning_rate, weight_decay, validation_fraction, patience, seed,
                          num_threads, device, checkpoint, resume, distributed, length_bucketing,
                          precision)
  masking <- list(mask_fraction = check_number(mask_fraction, 0.01, 0.9, "mask_fraction"),
                  mask_replace = check_number(mask_replace, 0, 1, "mask_replace"),
                  balanced_masking = check_flag(balanced_masking, "balanced_masking"),
                  contrastive_weight = check_number(contrastive_weight, 0, 100, "contrastive_weight"),
                  temperature = check_number(temperature, 0.001, 10, "temperature"))
  check_flag(verbose, "verbose")

  inputs <- dataset_sources(x, assay, layer)
  datasets <- inputs$datasets
  sources <- inputs$sources
  vocabulary <- fit_vocabulary(config, sources, datasets, assay, train$seed, verbose = FALSE, check = FALSE)
  config <- vocabulary$config
  check_maskable(config)
  sources <- vocabulary$sources
  maps <- vocabulary$maps
  covered <- vapply(maps, function(i) sum(i >= 0L), integer(1))
  if (any(covered == 0L)) {
    cli::cli_abort("Dataset{?s} {which(covered == 0L)} of {.arg x} share{?s/} no genes with the vocabulary.")
  }
  train <- with_positions(train, config, sources, maps)
  n_cells <- sum(vapply(sources, `[[`, integer(1), "n_cells"))
  if (verbose) {
    cli::cli_inform(c("i" = "Pretraining on {n_cells} cells from {length(sources)} dataset{?s}; vocabulary of {length(config$features)} {vocabulary_noun(config)}."))
  }
  if (config$tokenizer == "rank") config$gene_scale <- gene_scale(sources, maps, config)

  # datasets of different genes are each read against the genes of all (their gene shares), as
  # embed_cells() reads a query
  shares <- model_shares(config, sources)
  store <- store_cells(sources, maps, config, training_totals(sources, maps, shares))
  fit <- engine_pretrain(store, config, train, masking, verbose)
  model <- new_scLM_model(config = config, labels = character(0), fit = fit,
                          training = training_summary(fit, train, started, n_cells = n_cells,
                                                      objective = family_defaults(config)$pretrain_objective,
                                                      masking = masking))
  model$reference_shares <- shares
  model
}

# SCTrans's masked objective hides whole sub-vectors of its largest scale and needs at least two
# of them: a vocabulary smaller than that (a gene panel; `scales` set for 2,000 genes) is refused
# here with the scales that fit, not by the core.
check_maskable <- function(config, call = parent.frame()) {
  if (config$tokenizer != "subvectors") return(invisible())
  largest <- max(config$subvectors$scales)
  n <- length(config$features)
  if (n >= 2L * largest) return(invisible())
  fit <- default_scales(config$modality == "atac", n)
  cli::cli_abort(c("Masked pretraining hides whole sub-vectors of {largest} {feature_word(config)}s and needs at least two; the vocabulary holds {n}.",
                   "i" = "Give {.arg config} smaller sub-vectors, e.g. {.code sctrans_config(scales = c({fit[1]}, {fit[2]}))}."),
                 call = call)
}
