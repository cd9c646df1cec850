# Host: a Seurat object (SeuratObject 4 or 5). A Signac object is a Seurat object whose assay is
# a ChromatinAssay, whose peak ranges are read from it. Annotations go to meta.data (the
# probabilities to an assay), embeddings to a DimReduc.

#' @exportS3Method host_counts Seurat
host_counts.Seurat <- function(x, assay = NULL, layer = NULL, arg = "x", call = parent.frame()) {
  assay <- assay %||% SeuratObject::DefaultAssay(x)
  if (!assay %in% SeuratObject::Assays(x)) {
    cli::cli_abort(c("{.arg assay} {.val {assay}} is not an assay of {.arg {arg}}.",
                     "i" = "Available assays: {.val {SeuratObject::Assays(x)}}."), call = call)
  }
  layer <- layer %||% "counts"
  a <- x[[assay]]
  if (utils::packageVersion("SeuratObject") >= "5.0.0") {
    # SeuratObject 5 API, looked up at run time so the package also checks against version 4.
    available <- getExportedValue("SeuratObject", "Layers")(a)
    if (!layer %in% available) {
      cli::cli_abort(c("{.arg layer} {.val {layer}} is not a layer of assay {.val {assay}}.",
                       "i" = "Available layers: {.val {available}}."), call = call)
    }
    return(getExportedValue("SeuratObject", "LayerData")(a, layer = layer))
  }
  slots <- c("counts", "data", "scale.data")
  if (!layer %in% slots) {
    cli::cli_abort(c("{.arg layer} {.val {layer}} is not a layer of assay {.val {assay}}.",
                     "i" = "Available layers: {.val {slots}}."), call = call)
  }
  m <- SeuratObject::GetAssayData(a, slot = layer)
  if (length(m) == 0L) {
    cli::cli_abort("Layer {.val {layer}} of assay {.val {assay}} is empty.", call = call)
  }
  m
}

#' @exportS3Method host_cell_data Seurat
host_cell_data.Seurat <- function(x) x[[]]

#' @exportS3Method host_peak_ranges Seurat
host_peak_ranges.Seurat <- function(x, assay = NULL) {
  host_peak_ranges(x[[assay %||% SeuratObject::DefaultAssay(x)]])
}

#' @exportS3Method host_add_annotation Seurat
host_add_annotation.Seurat <- function(x, result, info, prefix) {
  columns <- setdiff(names(result), "probabilities")
  meta <- as.data.frame(result[, columns, drop = FALSE], optional = TRUE)
  names(meta) <- paste0(prefix, columns)
  x <- SeuratObject::AddMetaData(x, meta)
  if ("probabilities" %in% names(result)) {
    probs <- t(result$probabilities)
    rownames(probs) <- gsub("_", "-", rownames(probs), fixed = TRUE)  # Seurat feature names take no "_"
    assay <- SeuratObject::CreateAssayObject(data = methods::as(probs, "CsparseMatrix"))
    SeuratObject::Key(assay) <- seurat_key(paste0(prefix, "prob"))
    x[[paste0(prefix, "prob")]] <- assay
  }
  if (!is.null(info)) SeuratObject::Misc(x, "scLM") <- info
  x
}

#' @exportS3Method host_annotation Seurat
host_annotation.Seurat <- function(x, prefix) prefixed_columns(x[[]], prefix)

#' @exportS3Method host_add_embedding Seurat
host_add_embedding.Seurat <- function(x, embedding, model_id, name) {
  colnames(embedding) <- paste0(name, "_", seq_len(ncol(embedding)))
  x[[name]] <- SeuratObject::CreateDimReducObject(embeddings = embedding, key = seurat_key(name),
                                                  assay = SeuratObject::DefaultAssay(x),
                                                  misc = list(model_id = model_id))
  x
}

#' @exportS3Method host_embedding Seurat
host_embedding.Seurat <- function(x, reduction, call = parent.frame()) {
  if (!reduction %in% SeuratObject::Reductions(x)) {
    cli::cli_abort(c("{.arg x} has no reduction {.val {reduction}}.",
                     "i" = "Add it with {.code x <- embed_cells(model, x, name = \"{reduction}\")}."), call = call)
  }
  SeuratObject::Embeddings(x, reduction)
}

# Seurat keys are alphanumeric followed by one underscore.
seurat_key <- function(name) paste0(gsub("[^A-Za-z0-9]", "", name), "_")
