# The scLM_model object: everything needed to apply a trained model, in plain R data.

new_scLM_model <- function(config, labels, weights, history, training) {
  structure(list(
    id = paste0("scLM-", substr(sclm_checksum(weights), 1L, 12L)),
    modality = "RNA",
    config = config,
    features = config$features,
    labels = labels,
    weights = weights,
    history = history,
    training = training,
    created = format(Sys.time(), "%Y-%m-%d %H:%M:%S %Z"),
    versions = list(scLM = as.character(utils::packageVersion("scLM")),
                    libtorch = sclm_backend_info()$torch_version,
                    R = paste(R.version$major, R.version$minor, sep = "."))
  ), class = "scLM_model")
}

core_model_of <- function(model) core_model_config(model$config, length(model$labels))

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
  cat(sprintf("<scLM_model> %s (%s)\n", x$id, x$modality),
      sprintf("%d genes; %d labels: %s\n", length(x$features), length(x$labels), paste(x$labels, collapse = ", ")),
      sprintf("%d layer(s), dim %d, %d heads, %s parameters; top %d genes per cell\n", x$config$n_layers,
              x$config$dim, x$config$n_heads, format(t$n_parameters, big.mark = ","), x$config$max_tokens),
      sep = "")
  if (nrow(x$history)) {
    best <- x$history[x$history$epoch == t$best_epoch, ]
    acc <- if (nrow(best) && !is.na(best$val_accuracy)) sprintf(", validation accuracy %.3f", best$val_accuracy) else ""
    cat(sprintf("trained on %d cells for %d epoch(s) (best: %d%s) in %.1fs\n", t$n_cells, nrow(x$history),
                t$best_epoch, acc, t$wall_seconds))
  }
  invisible(x)
}
