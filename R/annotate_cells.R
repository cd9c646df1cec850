#' Annotate cells with a trained model
#'
#' Predicts a label and class probabilities for every cell, in batches, straight from the
#' sparse counts. Query genes are matched to the model's genes by name; a report of matched
#' and missing genes is printed, and too little overlap is an error.
#'
#' A model fine-tuned with down-sampling (`finetune(downsample =)`, on by default for genes) saw
#' its training cells thinned to a share of their counts, never as they were. It reads each query
#' cell of counts at the average of what its thinned copies would give: each count at the mean,
#' over the training's shares and binomial draws, of its thinned level, normalised again, so a
#' cell reads as the model's training cells did on average. Measured against reading the cells as
#' they are, on the same default fits (19 tasks, seeds 1-6; `bench/README.md`, "Stop 62"):
#' macro-F1 +0.005 on average, higher on 54 of 102 task-seed pairs and lower on 26, the most where
#' the query is shallow or the reference small (pbmc3k 0.939 vs 0.927, symphony PBMC to pbmc3k
#' 0.895 vs 0.883, a 10% mouse bladder reference 0.704 vs 0.669); it costs about 5% of the speed.
#' [embed_cells()] and [salient_features()] read cells alike. Values that are not counts
#' (log-normalised input, undone) cannot be thinned, and are read as they are.
#'
#' Each cell is read against its total count. When the query's genes differ from the
#' reference's (a whole transcriptome against a reference measured on a gene panel, or a query of
#' a few hundred genes against a whole-transcriptome reference), a query cell's total is taken
#' over the reference's genes alone and divided by the share of a reference cell's counts that
#' those genes held ([finetune()] keeps each gene's share), so every gene is read at the level the
#' reference's cells gave it. Each set with all of its own genes (10 tasks, seeds 1-3;
#' `bench/README.md`, "Stop 63"), against each cell's own total: pancreas Xin to Wang macro-F1
#' 0.996 instead of 0.788, a 760-gene panel of pbmc3k annotating whole-transcriptome cells 0.856
#' instead of 0.811, a pbmc3k reference filtered of mitochondrial and ribosomal-protein genes
#' 0.937 instead of 0.923; it lost on the PBMC sets across labs (pbmc3k to symphony's 1,767 genes 0.808
#' instead of 0.842, symphony to pbmc3k 0.908 instead of 0.922), and moved the others by 0.011
#' or less. A query of the reference's genes reads its cells as before (genes the reference lacked
#' no longer count in a total); models fine-tuned by earlier versions read each cell's own total.
#'
#' @param model An `scLM_model` from [finetune()] or [load_model()].
#' @param x Cells to annotate: a Seurat object, a SingleCellExperiment (or other
#'   SummarizedExperiment) or a genes x cells matrix of counts or log-normalised values (see
#'   [finetune()]).
#' @param threshold With `unknown_method = "max_prob"`: cells whose highest probability is below
#'   this get the `unknown` label in the pruned labels (see [prune_labels()]).
#' @param unknown Label for cells called unknown (may be `NA`).
#' @param unknown_method How cells of types absent from the reference are recognised:
#'   * `"knn"` (the default for scRNA-seq models): how far the cell lies from the reference cells in the
#'     reference's own expression space (cosine distance to its 10th nearest reference cell on the
#'     first 10 principal components of the log-normalised counts of the reference's 2,000 most
#'     variable model features), whatever the classifier makes of it;
#'   * `"mahalanobis"`: distance of the cell embedding to the nearest reference class mean, with a
#'     covariance shared by the classes;
#'   * `"energy"` (the default for scATAC-seq models): `-logsumexp` of the logits;
#'   * `"max_prob"` (the default when `threshold` is given or the model has no calibration, i.e.
#'     was fine-tuned with `validation_fraction = 0` or before scLM had the other methods):
#'     highest probability below `threshold`.
#'
#'   The first three are calibrated at fine-tuning on held-out reference cells (see
#'   `ood_quantile` in [finetune()]: about 5% of cells of known types are flagged) and add a
#'   column `unknown.score`; `threshold` is then not used. For an ensemble (`finetune(n_models =)`)
#'   `"mahalanobis"` and `"energy"` read its first model's embedding and logits, the model whose
#'   held-out cells calibrated them. On pbmc3k with the B cells left out
#'   of the reference, see the README for how many B cells each method flags.
#' @param unknown_shift For the calibrated `unknown_method`s: `TRUE` (the default) moves the
#'   cut-off up by how much the query cells' scores exceed those of the held-out reference cells
#'   it was calibrated on, at the lower quartile and at the median, the smaller of the two (with
#'   at least 100 cells; never down). A query from another batch, lab or platform lies a little
#'   further from the reference as a whole, and without the shift more of its cells of known
#'   types are flagged than calibrated (3-16% instead of 5% across the symphony PBMC batches,
#'   1-10% with it, 3-4.5% at the median). Cells of types the reference lacks score high and barely move the lower
#'   quartile while they are a minority of the query; when they make up most of it, pass `FALSE`
#'   to use the reference's cut-off as it is. The cut-off used
#'   is kept as `unknown_cutoff` with the call's settings (`metadata()` of the returned DataFrame;
#'   for objects where the gene mapping report goes, see the return value).
#' @param match_levels Whether to bring the query's gene levels towards the reference's before
#'   the cells are labelled. Another lab or platform captures each gene with its own efficiency;
#'   scLM labels up to 1,000 evenly spaced query cells as they are (with an ensemble's first
#'   model), compares each gene's mean
#'   (per 10,000 counts) in the query's cells of a type with the reference's cells of that type,
#'   and rescales the gene by the median over types (types of at least 10 cells on both sides) of
#'   the reference's mean over the query's, half-way and within a factor of 8, so that a type's
#'   own markers and the query's mix of types do not set it. A cell's labels then depend on the
#'   query it comes with: annotate a query as a whole. The `"knn"` unknown score reads the
#'   counts as they are. `NULL` (the default): `TRUE` for SCTrans
#'   models of genes ([sctrans_config()], the default for genes) fine-tuned by this version of
#'   scLM (models of genes keep the reference's gene levels), `FALSE` for token models, where it
#'   was not measured, and scATAC-seq models, which keep no levels (on peak islands it changed no
#'   task measured by more than 0.004 macro-F1). On the symphony PBMC tasks (train on two 10x
#'   chemistries, test on the third) it settled the 10x 5' query's seed spread (see the README's
#'   results); it costs one model's inference of up to 1,000 more cells.
#' @param assay,layer Where the counts are (see [finetune()]).
#' @param batch_size Cells per inference batch. Token models batch cells of similar token
#'   counts together (within windows of 16 batches), so little of a batch is padding; every cell's
#'   result is the one it gets alone, in the input's order.
#' @param num_threads CPU threads (default: all cores). For SCTrans models on the CPU, the cells
#'   are cut into up to `num_threads` ranges of whole batches that run side by side, one thread
#'   each (a model's work on one batch is too small to keep two threads busy): each cell's results
#'   are those of a one-thread run, whatever the number of threads. Token models run one range on
#'   all threads.
#' @param min_overlap Smallest share of the model genes that must be present in `x` (of the genes
#'   its reference held, for a model fine-tuned from a pretrained one on a gene panel).
#' @param prefix Prefix of the columns added to Seurat or SingleCellExperiment objects.
#' @inheritParams finetune
#' @return For a matrix, a [S4Vectors::DataFrame] with one row per cell and columns `labels`,
#'   `pruned.labels`, `max.prob`, `unknown.score` (for the calibrated `unknown_method`s) and
#'   `probabilities` (a cells x labels matrix), as SingleR returns. For a SingleCellExperiment, `x` with these as `colData` columns
#'   `<prefix>labels`, `<prefix>pruned.labels`, `<prefix>max.prob`, `<prefix>probabilities`.
#'   For a Seurat object, `x` with the first three as `meta.data` columns and the
#'   probabilities as an assay named `<prefix>prob` (one feature per label, named by
#'   [probability_features()]: `_` becomes `-`). The gene mapping report is attached as attribute
#'   `"feature_mapping"` (DataFrame) or stored in `metadata()` / `Misc()` under the prefix
#'   without its trailing `_` (`"scLM"` by default). A cell with no counts in the model's
#'   features (an empty cell, or one whose counts are all in other genes) gets `NA` labels,
#'   probabilities and `max.prob`, and the `unknown` pruned label, with a warning that counts them.
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' train <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   pbmc$counts[, train], labels = pbmc$cell_type[train],
#'                   epochs = 2, verbose = FALSE)
#' result <- annotate_cells(model, pbmc$counts[, 2:101], verbose = FALSE)
#' table(result$labels)
#' @export
annotate_cells <- function(model, x, threshold = 0.5, unknown = "Unknown",
                           unknown_method = NULL, unknown_shift = TRUE, match_levels = NULL, assay = NULL, layer = NULL,
                           batch_size = 256L, min_overlap = 0.25, prefix = "scLM_",
                           num_threads = default_threads(), device = "auto", precision = "fp32", verbose = TRUE) {
  check_classifier(model)
  check_number(threshold, 0, 1, "threshold")
  check_unknown(unknown)
  check_string(prefix, "prefix")
  check_flag(unknown_shift, "unknown_shift")
  unknown_method <- if (!is.null(unknown_method)) check_choice(unknown_method, unknown_methods, "unknown_method") else
    if (!missing(threshold)) "max_prob" else default_unknown_method(model)
  if (unknown_method != "max_prob" && is.null(model$unknown[["cutoff"]][[unknown_method]])) {
    cli::cli_abort(c("{.arg model} has no calibration for {.code unknown_method = \"{unknown_method}\"}.",
                     "i" = "Fine-tune it (again: models fine-tuned before {.code \"knn\"} existed lack it) with {.code validation_fraction > 0}, the default, or use {.code \"max_prob\"}."))
  }
  match_levels <- check_match_levels(match_levels, model)
  run <- run_settings(batch_size, num_threads, device, precision)
  source <- cell_source(x, assay, layer, empty_cells = TRUE)
  started <- proc.time()[["elapsed"]]
  with_embeddings <- unknown_method == "mahalanobis"
  n_features <- length(model$features)
  predicted <- run_on_cells(model, x, source, assay, engine_classify_members, classifier_weights(model), run, with_embeddings,
                            min_overlap = min_overlap, verbose = verbose, combine = rbind_fields, match_levels = match_levels,
                            per_block = function(result, counts, index) {
                              if (unknown_method == "knn") result$knn <- cbind(knn_score(model$unknown$knn, counts, index, n_features))
                              result
                            })
  logits <- predicted$result$logits
  logits[!predicted$readable, ] <- NA
  first_logits <- predicted$result$first_logits  # an ensemble's first model's (unknown scores)
  first_logits[!predicted$readable, ] <- NA
  probs <- softmax_rows(logits)
  seconds <- proc.time()[["elapsed"]] - started
  if (verbose) {
    cli::cli_inform(c("v" = "Annotated {source$n_cells} cells in {round(seconds, 2)}s ({round(source$n_cells / max(seconds, 1e-3))} cells/s)."))
  }
  dimnames(probs) <- list(source$cells, model$labels)
  best <- max.col(probs, ties.method = "first")  # NA for cells without counts in the model's features
  result <- S4Vectors::DataFrame(labels = model$labels[best], row.names = source$cells)
  result$max.prob <- probs[cbind(seq_len(nrow(probs)), best)]
  flagged <- is.na(best) | result$max.prob < threshold
  cutoff <- NULL
  if (unknown_method != "max_prob") {
    result$unknown.score <- if (unknown_method == "knn") drop(predicted$result$knn) else
      unknown_score(unknown_method, first_logits, predicted$result$embeddings, model$unknown)
    cutoff <- unknown_cutoff(model$unknown, unknown_method, result$unknown.score, unknown_shift)
    flagged <- is.na(best) | result$unknown.score > cutoff
    calibrated <- model$unknown$cutoff[[unknown_method]]
    if (verbose && cutoff > calibrated) {
      cli::cli_inform(c("i" = paste("The query's cells lie further from the reference than its held-out cells did (lower quartile and median of the",
                                    "{.code {unknown_method}} scores {signif(stats::quantile(result$unknown.score, shift_quantiles, na.rm = TRUE), 3)}",
                                    "vs {signif(model$unknown$quartiles[[unknown_method]], 3)}):",
                                    "cells are called unknown above {signif(cutoff, 3)} instead of {signif(calibrated, 3)} ({.code unknown_shift = FALSE} keeps the latter).")))
    }
  }
  result$pruned.labels <- ifelse(flagged, unknown, result$labels)
  result$probabilities <- probs
  result <- result[, intersect(c("labels", "pruned.labels", "max.prob", "unknown.score", "probabilities"), names(result))]
  info <- list(model_id = model$id, threshold = threshold, unknown = unknown, unknown_method = unknown_method,
               unknown_cutoff = cutoff, match_levels = match_levels, feature_mapping = predicted$mapping)
  host_add_annotation(x, result, info, prefix)
}

# annotate_cells()'s `match_levels`: the family's default where the model kept its reference's
# gene levels; TRUE for a model without them is an error.
check_match_levels <- function(match_levels, model, call = parent.frame()) {
  if (is.null(match_levels)) return(isTRUE(family_defaults(model$config)$match_levels) && !is.null(model$gene_levels))
  check_flag(match_levels, "match_levels", call = call)
  if (match_levels && is.null(model$gene_levels)) {
    cli::cli_abort(c("{.arg model} has no gene levels of its reference to match.",
                     "i" = "Fine-tune it again with this version of scLM (models of genes keep them), or use {.code match_levels = FALSE}."),
                   call = call)
  }
  match_levels
}
