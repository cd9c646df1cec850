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
  if (layer == "scale.data") {
    cli::cli_abort(c("{.arg layer} {.val scale.data} holds scaled values (centred, negative), not expression.",
                     "i" = "Pass {.code layer = \"counts\"} (the default) or the log-normalised {.code layer = \"data\"}."),
                   call = call)
  }
  a <- x[[assay]]
  if (seurat_object_5()) return(seurat5_layer(x, a, assay, layer, arg, call))
  slots <- c("counts", "data")
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

# SeuratObject 5: a layer, or the layers `<layer>.<batch>` that split() makes, joined in the
# object's cell order (as JoinLayers() would, without changing the user's object).
seurat5_layer <- function(x, a, assay, layer, arg, call) {
  layers <- getExportedValue("SeuratObject", "Layers")(a)
  layer_data <- getExportedValue("SeuratObject", "LayerData")
  if (layer %in% layers) return(layer_data(a, layer = layer))
  split <- layers[startsWith(layers, paste0(layer, "."))]
  if (!length(split)) {
    cli::cli_abort(c("{.arg layer} {.val {layer}} is not a layer of assay {.val {assay}}.",
                     "i" = "Available layers: {.val {layers}}."), call = call)
  }
  parts <- lapply(split, function(l) layer_data(a, layer = l))
  # On-disk (DelayedArray) layers stay lazy through BiocGenerics' cbind; base cbind() fails on them.
  bind <- if (methods::is(parts[[1]], "DelayedArray")) getExportedValue("BiocGenerics", "cbind") else cbind
  m <- do.call(bind, parts)
  cells <- colnames(x)
  if (!setequal(colnames(m), cells)) {
    cli::cli_abort("The layers {.val {split}} of assay {.val {assay}} do not hold the cells of {.arg {arg}}.", call = call)
  }
  m[, cells, drop = FALSE]
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
    rownames(probs) <- probability_features(rownames(probs))
    # an Assay5 under SeuratObject 5 (an Assay there warns about its missing counts layer)
    create <- if (seurat_object_5()) {
      getExportedValue("SeuratObject", "CreateAssay5Object")
    } else {
      SeuratObject::CreateAssayObject
    }
    assay <- create(data = methods::as(probs, "CsparseMatrix"))
    SeuratObject::Key(assay) <- seurat_key(paste0(prefix, "prob"))
    name <- paste0(prefix, "prob")
    # SeuratObject 5 counts the cells' "counts" layer of an added assay, which probabilities lack
    withCallingHandlers(x[[name]] <- assay, warning = function(w) {
      if (grepl("No layers found matching", conditionMessage(w), fixed = TRUE)) invokeRestart("muffleWarning")
    })
  }
  # set in the slot: Misc<- reports "Overwriting" on every re-annotation
  if (!is.null(info)) methods::slot(x, "misc")[[info_key(prefix)]] <- info
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

#' Feature names of label probabilities in a Seurat object
#'
#' [annotate_cells()] stores a Seurat object's class probabilities as an assay named
#' `<prefix>prob` with one feature per label. Seurat feature names cannot hold `_`, so each `_`
#' of a label becomes `-` (as SeuratObject itself would rename it); other characters are kept.
#' This function gives the feature of each label, e.g. to fetch a probability.
#'
#' @param labels Labels of a model (`model$labels`).
#' @return A character vector, one feature name per label.
#' @examples
#' probability_features(c("T_CD4", "B"))
#' # SeuratObject::FetchData(so, paste0("scLMprob_", probability_features("T_CD4")))
#' @export
probability_features <- function(labels) gsub("_", "-", as.character(labels), fixed = TRUE)

# SeuratObject 5's API (Assay5 layers) is looked up at run time, so the package also checks
# against version 4.
seurat_object_5 <- function() utils::packageVersion("SeuratObject") >= "5.0.0"

# Seurat keys are alphanumeric followed by one underscore.
seurat_key <- function(name) paste0(gsub("[^A-Za-z0-9]", "", name), "_")
