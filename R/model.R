# The scLM_model object: everything needed to apply a trained model, in plain R data.

# A model from pretrain() has no labels: `weights` holds its masked-prediction model, and
# `encoder_weights` the encoder every model has (embeddings, attention, fine-tuning).
new_scLM_model <- function(config, labels, fit, training) {
  structure(list(
    id = model_id(list(fit$weights)),
    modality = toupper(config$modality %||% "rna"),
    config = config,
    features = config$features,
    labels = labels,
    weights = fit$weights,
    encoder_weights = fit$encoder_weights,
    history = fit$history,
    training = training,
    created = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"),
    versions = list(scLM = as.character(utils::packageVersion("scLM")),
                    libtorch = engine_backend_info()$torch_version,
                    R = paste(R.version$major, R.version$minor, sep = "."))
  ), class = "scLM_model")
}

# A model's id: from its classifier weights (every model's of an ensemble).
model_id <- function(weights) paste0("scLM-", substr(engine_checksum(do.call(c, weights)), 1L, 12L))

# The weights annotate_cells() reads: the model's, then those of the other models of its ensemble
# (finetune(n_models =)), whose logits it averages.
classifier_weights <- function(model) c(list(model$weights), model$members)

is_pretrained_only <- function(model) length(model$labels) == 0L

objective_of <- function(training) {
  if (isTRUE(training$masking$contrastive_weight > 0)) paste(training$objective, "+ contrastive") else training$objective
}

# annotate_cells() needs a classifier, not a pretrained encoder.
check_classifier <- function(model, call = parent.frame()) {
  check_model(model, call = call)
  if (is_pretrained_only(model)) {
    cli::cli_abort(c("{.arg model} is a pretrained encoder without cell-type labels.",
                     "i" = "Fine-tune it on labeled cells first: {.code finetune(model, reference, labels)}."),
                   call = call)
  }
  model
}

check_model <- function(model, arg = "model", call = parent.frame()) {
  if (!inherits(model, "scLM_model")) {
    cli::cli_abort(c("{.arg {arg}} must be an {.cls scLM_model}, not {.cls {class(model)[1]}}.",
                     "i" = "Train one with {.fn finetune} or read one with {.fn load_model}."), call = call)
  }
  model
}

#' @export
print.scLM_model <- function(x, ...) {
  t <- x$training
  what <- if (is_pretrained_only(x)) sprintf("pretrained encoder (%s tokens, %s objective)", x$config$tokenizer, objective_of(t)) else
    sprintf("%d labels: %s", length(x$labels), paste(x$labels, collapse = ", "))
  cat(sprintf("<scLM_model> %s (%s)\n", x$id, x$modality),
      sprintf("%d %s%s; %s\n", length(x$features), vocabulary_unit(x$config),
              if (is.null(x$reference_features)) "" else sprintf(" (%d in its reference)", length(x$reference_features)), what),
      sprintf("%s, %s parameters; %s\n", architecture_text(x$config), format(t$n_parameters, big.mark = ","),
              tokens_text(x$config)),
      sep = "")
  if (nrow(x$history)) {
    best <- x$history[x$history$epoch == t$best_epoch, ]
    acc <- if (nrow(best) && !is.na(best$val_accuracy)) sprintf(", validation accuracy %.3f", best$val_accuracy) else ""
    ensemble <- if (isTRUE(t$n_models > 1L)) sprintf("; an ensemble of %d models, epochs of the first", t$n_models) else ""
    references <- if (is.null(t$references)) "" else
      sprintf(" of %d references (%s)", nrow(t$references), paste(t$references$reference, collapse = ", "))
    cat(sprintf("trained on %d cells%s for %d epoch(s) (best: %d%s) in %.1fs on %s%s\n", t$n_cells, references,
                nrow(x$history), t$best_epoch, acc, t$wall_seconds, t$device, ensemble))
  }
  invisible(x)
}
