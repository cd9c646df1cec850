# Host: a SummarizedExperiment, and a SingleCellExperiment. Annotations go to colData (and
# metadata()), embeddings to reducedDim (SingleCellExperiment only); peak ranges come from
# rowRanges.

#' @exportS3Method host_counts SummarizedExperiment
host_counts.SummarizedExperiment <- function(x, assay = NULL, layer = NULL, arg = "x", call = parent.frame()) {
  assay <- assay %||% layer %||% "counts"
  available <- SummarizedExperiment::assayNames(x)
  if (!assay %in% available) {
    cli::cli_abort(c("{.arg assay} {.val {assay}} is not an assay of {.arg {arg}}.",
                     "i" = "Available assays: {.val {available}}."), call = call)
  }
  SummarizedExperiment::assay(x, assay, withDimnames = TRUE)
}

#' @exportS3Method host_cell_data SummarizedExperiment
host_cell_data.SummarizedExperiment <- function(x) as.data.frame(SummarizedExperiment::colData(x))

#' @exportS3Method host_peak_ranges SummarizedExperiment
host_peak_ranges.SummarizedExperiment <- function(x, assay = NULL) {
  r <- SummarizedExperiment::rowRanges(x)
  if (methods::is(r, "GRanges")) r else NULL
}

#' @exportS3Method host_add_annotation SummarizedExperiment
host_add_annotation.SummarizedExperiment <- function(x, result, info, prefix) {
  for (column in names(result)) {
    SummarizedExperiment::colData(x)[[paste0(prefix, column)]] <- result[[column]]
  }
  if (!is.null(info)) S4Vectors::metadata(x)[[info_key(prefix)]] <- info
  x
}

#' @exportS3Method host_annotation SummarizedExperiment
host_annotation.SummarizedExperiment <- function(x, prefix) prefixed_columns(SummarizedExperiment::colData(x), prefix)

#' @exportS3Method host_add_embedding SummarizedExperiment
host_add_embedding.SummarizedExperiment <- function(x, embedding, model_id, name) {
  cli::cli_abort("Embeddings need a SingleCellExperiment (reducedDim); convert with {.code as(x, \"SingleCellExperiment\")}.",
                 call = NULL)
}

#' @exportS3Method host_add_embedding SingleCellExperiment
host_add_embedding.SingleCellExperiment <- function(x, embedding, model_id, name) {
  SingleCellExperiment::reducedDim(x, name) <- embedding
  x
}

#' @exportS3Method host_embedding SingleCellExperiment
host_embedding.SingleCellExperiment <- function(x, reduction, call = parent.frame()) {
  if (!reduction %in% SingleCellExperiment::reducedDimNames(x)) {
    cli::cli_abort(c("{.arg x} has no reducedDim {.val {reduction}}.",
                     "i" = "Add it with {.code x <- embed_cells(model, x, name = \"{reduction}\")}."), call = call)
  }
  SingleCellExperiment::reducedDim(x, reduction)
}
