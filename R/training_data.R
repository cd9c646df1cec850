# Training data read in blocks of cells, so on-disk input (DelayedArray / HDF5Array) is never
# realised whole: token models keep only the tokens of the cells (in the engine), and statistics
# over all cells add up block by block (select_features()).

# The cells of `x` for training: the host's matrix as it is for scRNA token models (read block by
# block later), checked dgCMatrix counts for models that need every cell at once (SCTrans's
# sub-vectors, scATAC's peak islands and SVD positions).
training_source <- function(x, config, assay, layer, arg = "x", call = parent.frame()) {
  source <- cell_source(x, assay, layer, arg, call)
  if (is_sctrans(config) || is_atac(config)) as_counts(source, arg, call) else source
}

# One token store (an engine object) holding the tokens of every cell of `sources` (matrices
# whose rows `maps` index into the vocabulary), cell ids counting through all of them.
cell_tokens <- function(sources, maps, config, call = parent.frame()) {
  store <- sclm_token_store()
  tokenizer <- core_tokenizer_config(config)
  n_cells <- 0
  for (k in seq_along(sources)) {
    map_cell_blocks(sources[[k]], function(counts) {
      n_cells <<- call_core(sclm_store_tokens(store, counts, maps[[k]], length(config$features), tokenizer, n_cells),
                            call = call)
      NULL
    }, combine = function(...) NULL, arg = if (length(sources) > 1L) sprintf("x[[%d]]", k) else "x", call = call)
  }
  store
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
