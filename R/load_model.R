#' Load a model saved with save_model()
#'
#' Reads a model file as data: nothing in it can run code, and R objects are rebuilt only from
#' plain vectors and lists with checked attributes. Checks its checksum, format, fields,
#' and that every weight tensor has the name, type and shape the stored settings imply,
#' before returning the model.
#'
#' @param file Path of a file written by [save_model()].
#' @return An `scLM_model`.
#' @seealso [save_model()]
#' @inherit save_model examples
#' @export
load_model <- function(file) {
  check_string(file, "file")
  if (!file.exists(file)) cli::cli_abort("{.arg file}: {.path {file}} does not exist.")
  frame <- environment()
  corrupt <- function(why) {
    cli::cli_abort(c("{.arg file}: {.path {file}} is not a valid scLM model file.", "x" = why,
                     "i" = "Save models with {.fn save_model}; re-save or re-train if the file was damaged."),
                   call = frame)
  }
  size <- file.size(file)
  if (dir.exists(file) || is.na(size) || size > 2^31 - 1) corrupt("it cannot be read (a folder, unreadable or over 2 GB).")
  payload <- tryCatch(engine_decode_data(readBin(file, "raw", size)), error = function(e) corrupt(conditionMessage(e)))
  if (!is.list(payload) || !identical(payload$format, model_file_format)) corrupt("it is not an scLM model.")
  if (!identical(payload$format_version, model_file_version)) {
    corrupt(sprintf("it has format version %s; this scLM reads version %d.", format(payload$format_version),
                    model_file_version))
  }
  m <- payload$model
  fields <- c("id", "modality", "config", "features", "labels", "weights", "encoder_weights", "history", "training",
              "versions")
  if (!is.list(m) || !all(fields %in% names(m))) corrupt("fields are missing.")
  if (!is.raw(m$weights) || !is.raw(m$encoder_weights) || !is.character(m$features) || !is.character(m$labels) ||
      length(m$labels) == 1L || anyDuplicated(m$features) || !inherits(m$config, "scLM_config") ||
      length(m$features) != length(m$config$features)) {
    corrupt("its fields have the wrong types or sizes.")
  }
  if (!is.null(m$reference_features) && (!is.character(m$reference_features) || !all(m$reference_features %in% m$features))) {
    corrupt("its reference's features are not features of the model.")
  }
  shares <- m$reference_shares
  if (!is.null(shares) && (!is.numeric(shares) || !is.character(names(shares)) || anyDuplicated(names(shares)) ||
                           !all(is.finite(shares) & shares >= 0) || !isTRUE(sum(shares) > 0))) {
    corrupt("its reference's gene shares have the wrong types or values.")
  }
  levels <- m$gene_levels
  if (!is.null(levels) && (!is.list(levels) || !is.matrix(levels$means) || !is.numeric(levels$means) ||
                           !identical(dim(levels$means), c(length(m$features), length(m$labels))) ||
                           !all(is.finite(levels$means) & levels$means >= 0) || !is.numeric(levels$n) ||
                           length(levels$n) != length(m$labels) || !all(is.finite(levels$n) & levels$n >= 0))) {
    corrupt("its reference's gene levels have the wrong types or sizes.")
  }
  # Configs saved by older versions have no family class: the settings give it.
  m$config <- new_config(m$config)
  # The settings are checked as scLMConfig() checks a user's, before a model is built from them.
  tryCatch(check_saved_config(m$config), error = function(e) corrupt(paste("its settings are invalid:", conditionMessage(e))))
  model <- structure(m, class = "scLM_model")
  check_versions(model$versions, file)
  if (!is.null(m$members) && (is_pretrained_only(model) || !is.list(m$members) || !all(vapply(m$members, is.raw, logical(1))))) {
    corrupt("its ensemble's models are not classifier weights.")
  }
  # A pretrained model's `weights` include its masked-prediction head; only its encoder is checked.
  classifiers <- if (is_pretrained_only(model)) list(raw(0)) else classifier_weights(model)
  for (classifier in classifiers) {
    tryCatch(engine_validate_weights(classifier, model$encoder_weights, model$config, length(model$labels)),
             error = function(e) corrupt(conditionMessage(e)))
  }
  model
}

# Runs a saved config's settings through the constructor of its family.
check_saved_config <- function(config) UseMethod("check_saved_config")
#' @exportS3Method check_saved_config scLM_config
check_saved_config.scLM_config <- function(config) call_with_settings(scLMConfig, config)
#' @exportS3Method check_saved_config scLM_sctrans_config
check_saved_config.scLM_sctrans_config <- function(config) call_with_settings(sctrans_config, c(config, config$subvectors))

call_with_settings <- function(constructor, settings) {
  do.call(constructor, settings[intersect(names(settings), names(formals(constructor)))])
}

# Says when a model comes from a newer scLM or another LibTorch than the ones running.
check_versions <- function(versions, file, call = parent.frame()) {
  made <- tryCatch(package_version(versions$scLM), error = function(e) NULL)
  here <- utils::packageVersion("scLM")
  if (!is.null(made) && made > here) {
    cli::cli_warn(c("{.path {file}} was made with scLM {made}, newer than this scLM {here}.",
                    "i" = "If it misbehaves, update scLM."), call = call)
  }
  torch <- engine_backend_info()$torch_version
  if (!is.null(versions$libtorch) && !identical(versions$libtorch, torch)) {
    cli::cli_inform(c("i" = "{.path {file}} was trained with LibTorch {versions$libtorch}; this scLM runs LibTorch {torch}."))
  }
}
