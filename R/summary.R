#' Summaries of scLM models and feature mappings
#'
#' `summary()` of a model gathers what it is (modality, vocabulary, labels, architecture,
#' parameters), how it was trained (cells, epochs, best epoch, device, threads, time) and with
#' which versions; `summary()` of a feature report (from `annotate_cells()` results,
#' `attr(result, "feature_mapping")`) lists every model feature the data lacked.
#'
#' @param object An `scLM_model` or an `scLM_feature_report`.
#' @param ... Unused.
#' @return A list of class `summary.scLM_model` / `summary.scLM_feature_report`, printed
#'   readably.
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' train <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   pbmc$counts[, train], labels = pbmc$cell_type[train],
#'                   epochs = 2, verbose = FALSE)
#' summary(model)
#' res <- annotate_cells(model, pbmc$counts[1:8000, 2:51], verbose = FALSE)
#' summary(attr(res, "feature_mapping"))
#' @name summary.scLM
NULL

#' @rdname summary.scLM
#' @export
summary.scLM_model <- function(object, ...) {
  cfg <- object$config
  t <- object$training
  h <- object$history
  best <- h[h$epoch %in% t$best_epoch, c("epoch", "train_loss", "val_loss", "val_accuracy"), drop = FALSE]
  structure(list(
    id = object$id, modality = object$modality, kind = if (is_pretrained_only(object)) "pretrained encoder" else "classifier",
    n_features = length(object$features),
    feature_unit = vocabulary_unit(cfg),
    labels = object$labels,
    architecture = sprintf("%s tokens, %s; %s", cfg$tokenizer, tokens_text(cfg), architecture_text(cfg)),
    n_parameters = t$n_parameters,
    training = list(cells = t$n_cells, epochs = nrow(h), best = best, stopped_early = isTRUE(t$stopped_early),
                    interrupted = isTRUE(t$interrupted), pretrained_start = isTRUE(t$pretrained),
                    n_models = length(classifier_weights(object)),
                    device = t$device, num_threads = t$num_threads, seconds = t$wall_seconds, seed = t$seed),
    created = object$created, versions = object$versions
  ), class = "summary.scLM_model")
}

#' @export
print.summary.scLM_model <- function(x, ...) {
  tr <- x$training
  cat(sprintf("scLM %s %s (%s)\n", x$modality, x$kind, x$id),
      sprintf("  vocabulary:  %s %s\n", format(x$n_features, big.mark = ","), x$feature_unit),
      if (length(x$labels)) sprintf("  labels (%d): %s\n", length(x$labels), paste(x$labels, collapse = ", ")),
      sprintf("  model:       %s\n", x$architecture),
      sprintf("  parameters:  %s\n", format(x$n_parameters, big.mark = ",")),
      sprintf("  training:    %s cells, %d epoch(s)%s%s%s, %.1f s on %s with %s thread(s), seed %s\n",
              format(tr$cells, big.mark = ","), tr$epochs, if (tr$stopped_early) ", stopped early" else "",
              if (tr$interrupted) ", interrupted" else "", if (tr$pretrained_start) ", from a pretrained encoder" else "",
              tr$seconds, tr$device, tr$num_threads, tr$seed),
      if (tr$n_models > 1L) sprintf("  ensemble:    %d models (seeds %s to %s; epochs and best epoch: the first's)\n",
                                    tr$n_models, tr$seed, tr$seed + tr$n_models - 1L),
      sep = "")
  if (nrow(tr$best)) {
    b <- tr$best
    cat(sprintf("  best epoch:  %d (training loss %.3f, validation loss %.3f, validation accuracy %.3f)\n",
                b$epoch, b$train_loss, b$val_loss, b$val_accuracy))
  }
  cat(sprintf("  created:     %s with scLM %s, LibTorch %s, R %s\n", x$created, x$versions$scLM,
              x$versions$libtorch, x$versions$R))
  invisible(x)
}

#' @rdname summary.scLM
#' @export
summary.scLM_feature_report <- function(object, ...) {
  structure(c(unclass(object), list(unit = report_unit(object), fraction = object$n_matched / object$n_model)),
            class = "summary.scLM_feature_report")
}

#' @export
print.summary.scLM_feature_report <- function(x, ...) {
  cat(sprintf("%d of %d model %s found in the data (%.1f%%); %d data features the model does not use\n",
              x$n_matched, x$n_model, x$unit, 100 * x$fraction, x$n_extra),
      sprintf("identifiers: model %s (e.g. %s), data %s (e.g. %s)\n", x$model_ids, paste(x$examples, collapse = ", "),
              x$query_ids, paste(x$query_examples, collapse = ", ")), sep = "")
  if (length(x$missing)) {
    cat(sprintf("missing %s (%d, treated as not expressed):\n", x$unit, length(x$missing)))
    cat(strwrap(paste(x$missing, collapse = " "), prefix = "  "), sep = "\n")
  }
  if (length(x$duplicated)) cat(sprintf("duplicated data features: %s\n", paste(x$duplicated, collapse = ", ")))
  invisible(x)
}
