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
# for SCTrans models expression levels. train_on_cells() trains on it.
cell_store <- function(sources, maps, config, call = parent.frame()) {
  levels <- is_sctrans(config)
  store <- if (levels) sclm_level_store() else sclm_token_store()
  tokenizer <- core_tokenizer_config(config)
  n_features <- length(config$features)
  n_cells <- 0
  for (k in seq_along(sources)) {
    map_cell_blocks(sources[[k]], function(counts) {
      n_cells <<- call_core(if (levels) {
        sclm_store_levels(store, counts, maps[[k]], n_features, config$scale_factor)
      } else {
        sclm_store_tokens(store, counts, maps[[k]], n_features, tokenizer, n_cells)
      }, call = call)
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
    masking <- core_settings("pretrain", masking)
    pretrain_store <- if (is_sctrans(config)) sclm_pretrain_levels else sclm_pretrain_tokens
    return(pretrain_store(store, model, tokenizer, train, masking, progress$on_step, progress$on_epoch))
  }
  train_store <- if (is_sctrans(config)) sclm_train_classifier_levels else sclm_train_classifier_tokens
  train_store(store, labels, model, tokenizer, train, progress$on_step, progress$on_epoch)
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
