#' Save a model to one file
#'
#' Writes weights, gene vocabulary, labels, tokenizer and model settings, training history
#' and versions to a single file. The file holds plain data only (vectors, lists and the
#' weights in scLM's tensor format, no R serialization and nothing executable) and a checksum
#' of its whole content. It is written to a temporary name and renamed, so an interrupted
#' save never leaves a half-written model behind.
#'
#' @param model An `scLM_model`.
#' @param file Path of the file to write (by convention ending in `.scLM`).
#' @return `file`, invisibly.
#' @seealso [load_model()]
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' train <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   pbmc$counts[, train], labels = pbmc$cell_type[train],
#'                   epochs = 1, verbose = FALSE)
#' path <- tempfile(fileext = ".scLM")
#' save_model(model, path)
#' identical(load_model(path)$weights, model$weights)
#' @export
save_model <- function(model, file) {
  check_model(model)
  check_string(file, "file")
  dir <- dirname(file)
  check_writable_folder(dir, "file")
  payload <- list(format = model_file_format, format_version = model_file_version, model = unclass(model))
  tmp <- tempfile(".scLM-", tmpdir = dir)
  on.exit(unlink(tmp), add = TRUE)
  writeBin(engine_encode_data(payload), tmp)
  if (!file.rename(tmp, file)) cli::cli_abort("{.arg file}: could not write {.path {file}}.")
  invisible(file)
}

model_file_format <- "scLM model"
model_file_version <- 3L
