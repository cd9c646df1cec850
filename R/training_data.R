# Training data read in blocks of cells, so on-disk input (DelayedArray / HDF5Array) is never
# realised whole: the engine keeps only what the model reads of each cell (tokens, or SCTrans's
# sparse expression levels), and statistics over all cells add up block by block (select_features()).

# The cells of `x` for training: the host's matrix as it is for scRNA models (read block by block
# later), checked dgCMatrix counts for scATAC models, which need every cell at once (peak islands,
# SVD positions).
training_source <- function(x, config, assay, layer, arg = "x", call = parent.frame()) {
  source <- cell_source(x, assay, layer, arg, call)
  if (is_atac(config)) as_counts(source, arg, call) else source
}

# One store (an engine object) holding every cell of `sources` (matrices whose rows `maps` index
# into the vocabulary) as the model reads it: tokens, cell ids counting through all matrices, or
# for SCTrans models expression levels (the engine picks by the model). train_on_cells() trains on it.
cell_store <- function(sources, maps, config, call = parent.frame()) {
  store <- sclm_cell_store(core_model_config(config, 0L), core_tokenizer_config(config))
  n_cells <- 0
  for (k in seq_along(sources)) {
    map_cell_blocks(sources[[k]], function(counts) {
      n_cells <<- call_core(sclm_store_cells(store, counts, maps[[k]], n_cells), call = call)
      NULL
    }, combine = function(...) NULL, arg = if (length(sources) > 1L) sprintf("x[[%d]]", k) else "x", call = call)
  }
  store
}

# Fine-tunes (`labels`: 0-based class codes) or, without labels, pretrains (`masking`) the model of
# `config` on a store from cell_store().
train_on_cells <- function(store, config, train, progress, labels = NULL, n_classes = 0L, masking = NULL) {
  tokenizer <- core_tokenizer_config(config)
  model <- core_model_config(config, n_classes)
  train <- core_settings("train", train)
  if (is.null(labels)) {
    return(sclm_pretrain(store, model, tokenizer, train, core_settings("pretrain", masking),
                         progress$on_step, progress$on_epoch))
  }
  sclm_train_classifier(store, labels, model, tokenizer, train, progress$on_step, progress$on_epoch)
}

# Geneformer's gene medians (the rank tokenizer's gene_scale) over the cells of `sources`. An
# on-disk matrix larger than a block contributes 20 evenly spaced runs of cells, one block in all:
# a median needs every value at once.
gene_scale <- function(sources, maps, config, call = parent.frame()) {
  block_cells <- getOption("scLM.block_cells", 20000L)
  sampled <- lapply(sources, function(m) {
    if (is(m, "dgCMatrix") || ncol(m) <= block_cells) return(map_cell_blocks(m, identity, call = call))
    run <- max(1L, block_cells %/% 20L)
    starts <- unique(round(seq(1, ncol(m) - run + 1, length.out = 20)))
    as_counts(do.call(cbind, lapply(starts, function(s) read_cell_block(m, s, s + run - 1L))), "x", call)
  })
  sclm_gene_medians(sampled, maps, length(config$features), config$scale_factor)
}

# Joins blocks' results that are lists of matrices, field by field.
rbind_fields <- function(...) {
  parts <- list(...)
  lapply(stats::setNames(nm = names(parts[[1]])), function(f) do.call(rbind, lapply(parts, `[[`, f)))
}
