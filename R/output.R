# Host writers: results go back in each ecosystem's convention.

add_annotation <- function(x, result, info, prefix) {
  if (inherits(x, "Seurat")) {
    columns <- setdiff(names(result), "probabilities")
    meta <- as.data.frame(result[, columns, drop = FALSE], optional = TRUE)
    names(meta) <- paste0(prefix, columns)
    x <- SeuratObject::AddMetaData(x, meta)
    probs <- t(result$probabilities)
    rownames(probs) <- gsub("_", "-", rownames(probs), fixed = TRUE)  # Seurat feature names take no "_"
    assay <- SeuratObject::CreateAssayObject(data = methods::as(probs, "CsparseMatrix"))
    SeuratObject::Key(assay) <- seurat_key(paste0(prefix, "prob"))
    x[[paste0(prefix, "prob")]] <- assay
    SeuratObject::Misc(x, "scLM") <- info
    return(x)
  }
  if (is(x, "SummarizedExperiment")) {
    for (column in names(result)) {
      SummarizedExperiment::colData(x)[[paste0(prefix, column)]] <- result[[column]]
    }
    S4Vectors::metadata(x)$scLM <- info
    return(x)
  }
  attr(result, "feature_mapping") <- info$feature_mapping
  S4Vectors::metadata(result) <- info
  result
}

add_embedding <- function(x, embedding, model, name) {
  if (inherits(x, "Seurat")) {
    colnames(embedding) <- paste0(name, "_", seq_len(ncol(embedding)))
    x[[name]] <- SeuratObject::CreateDimReducObject(embeddings = embedding, key = seurat_key(name),
                                                    assay = SeuratObject::DefaultAssay(x),
                                                    misc = list(model_id = model$id))
    return(x)
  }
  if (is(x, "SingleCellExperiment")) {
    SingleCellExperiment::reducedDim(x, name) <- embedding
    return(x)
  }
  if (is(x, "SummarizedExperiment")) {
    cli::cli_abort("Embeddings need a SingleCellExperiment (reducedDim); convert with {.code as(x, \"SingleCellExperiment\")}.",
                   call = NULL)
  }
  embedding
}

# Seurat keys are alphanumeric followed by one underscore.
seurat_key <- function(name) paste0(gsub("[^A-Za-z0-9]", "", name), "_")
