#' Genomic ranges of an scATAC model's peak islands
#'
#' The features of an scATAC model ([annatac_config()]) are peak islands named
#' `chrom-start-end`; `feature_ranges()` gives them as a `GRanges`, in the coordinates of the
#' peaks the model was trained on, so that islands ranked by [attention_scores()] can be passed to
#' Signac (`CoveragePlot(region = )`, `ClosestFeature()`) or intersected with gene annotations.
#'
#' @param model An scATAC `scLM_model`.
#' @param features Island names of the model (e.g. the row names of [attention_scores()]'s
#'   result); default all of them, in vocabulary order.
#' @return A `GenomicRanges::GRanges` with one range per island, named by it.
#' @seealso [attention_scores()]
#' @examples
#' atac <- readRDS(system.file("extdata", "granja_bm_atac.rds", package = "scLM"))
#' model <- finetune(annatac_config(dim = 16, n_layers = 1), atac$counts, atac$cell_type,
#'                   epochs = 1, verbose = FALSE)
#' cells <- 1:100
#' scores <- attention_scores(model, atac$counts[, cells], group_by = atac$cell_type[cells],
#'                            verbose = FALSE)
#' top <- rownames(scores)[order(scores[, 1], decreasing = TRUE)[1:5]]
#' if (requireNamespace("GenomicRanges", quietly = TRUE)) feature_ranges(model, top)
#' @export
feature_ranges <- function(model, features = model$features) {
  check_model(model)
  if (!identical(model$config$modality, "atac")) {
    cli::cli_abort(c("{.fn feature_ranges} applies to scATAC models, whose features are peak islands; this model's features are genes.",
                     "i" = "Fine-tune an scATAC model with {.fn annatac_config}."))
  }
  if (!is.character(features) || anyNA(features)) {
    cli::cli_abort("{.arg features} must be island names of the model, e.g. {.code rownames(attention_scores(model, x))}.")
  }
  unknown <- setdiff(features, model$features)
  if (length(unknown)) {
    cli::cli_abort(c("{.arg features} holds {length(unknown)} name{?s} that {?is not an island/are not islands} of the model: {.val {utils::head(unknown, 3)}}.",
                     "i" = "Use names from {.code model$features} or from {.fn attention_scores}'s row names."))
  }
  if (!requireNamespace("GenomicRanges", quietly = TRUE) || !requireNamespace("IRanges", quietly = TRUE)) {
    cli::cli_abort(c("{.fn feature_ranges} needs the Bioconductor packages {.pkg GenomicRanges} and {.pkg IRanges}.",
                     "i" = "Install them with {.code BiocManager::install(\"GenomicRanges\")} (Debian: {.code apt install r-bioc-genomicranges})."))
  }
  parsed <- engine_parse_peaks(features)
  ranges <- GenomicRanges::GRanges(parsed$chrom, IRanges::IRanges(parsed$start, parsed$end))
  names(ranges) <- features
  ranges
}
