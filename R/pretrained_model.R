#' Pretrained scLM models shipped with the package
#'
#' scLM ships small pretrained encoders so that fine-tuning can start from pretrained weights
#' without downloading anything. `pretrained_model()` lists them; `pretrained_model(name)`
#' loads one, ready for [finetune()], [embed_cells()] or [attention_scores()].
#'
#' `"human_rna_small"`: the default [scLMConfig()] encoder (dim 32, 2 layers, 4 heads, top-256 genes per
#' cell, expression bins) pretrained by [pretrain()] (masked + contrastive objective, 15 epochs,
#' seed 1) on all 5,013 cells of the four human scRNA-seq sets of the project's shared data whose
#' genes are named by symbol (10x pbmc3k, symphony PBMC in three 10x chemistries, Xin and Wang
#' pancreas; labels unused). Vocabulary: the union of each set's 2,000 most variable genes.
#' Recipe: `data-raw/pretrained_human_rna.R` in the source
#' repository; its vocabulary is also in
#' `system.file("extdata", "pretrained", "human_rna_small.features.txt", package = "scLM")`.
#'
#' @param name `NULL` to list the models, or the name of one.
#' @return With `name`, an `scLM_model` (a pretrained encoder); without, a data frame with
#'   one row per model: name, modality, features, cells it was pretrained on, parameters and
#'   file size.
#' @seealso [pretrain()], [finetune()]
#' @examples
#' pretrained_model()
#' encoder <- pretrained_model("human_rna_small")
#' encoder
#' @export
pretrained_model <- function(name = NULL) {
  files <- pretrained_files()
  if (is.null(name)) {
    rows <- lapply(names(files), function(n) {
      m <- load_model(files[[n]])
      data.frame(name = n, modality = m$modality, features = length(m$features), cells = m$training$n_cells,
                 parameters = m$training$n_parameters, megabytes = round(file.size(files[[n]]) / 2^20, 2))
    })
    return(do.call(rbind, rows))
  }
  check_string(name, "name")
  if (!name %in% names(files)) {
    cli::cli_abort(c("There is no pretrained model {.val {name}}.",
                     "i" = "Available: {.val {names(files)}} (see {.code pretrained_model()})."))
  }
  load_model(files[[name]])
}

pretrained_files <- function() {
  dir <- system.file("extdata", "pretrained", package = "scLM")
  files <- list.files(dir, pattern = "\\.scLM$", full.names = TRUE)
  stats::setNames(files, sub("\\.scLM$", "", basename(files)))
}
