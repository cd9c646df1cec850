# What the inference verbs (annotate_cells(), embed_cells(), attention_scores(),
# salient_features()) share: their run settings, and running the engine block by block.

run_settings <- function(batch_size, num_threads, device, precision, call = parent.frame()) {
  list(batch_size = check_count(batch_size, 1L, 1e6, call = call),
       num_threads = check_threads(num_threads, call = call), device = check_device(device, call = call),
       precision = check_precision(precision, call = call))
}

# Runs the engine's inference entry point `infer` (engine_classify, engine_embed, ...) with
# `weights` of `model`, the run settings `run` and any further arguments `...` on the cells of
# cell source `source` (of host `x`): features are mapped to the model's vocabulary once
# (map_query()), then each checked block of cells is transformed (peaks -> islands) and handed
# over. per_block(result, counts) post-processes a block's result before the blocks are joined
# with `combine`.
run_on_cells <- function(model, x, source, assay, infer, weights, run, ..., min_overlap, verbose, combine = rbind,
                         per_block = function(result, counts) result, call = parent.frame()) {
  mapping <- map_query(model$config, x, source, assay, min_overlap, verbose, call = call)
  result <- source_blocks(source, function(counts) {
    counts <- mapping$transform(counts)
    per_block(infer(weights, model$config, length(model$labels), counts, mapping$index, run, ..., call = call), counts)
  }, combine = combine)
  list(result = result, mapping = mapping$report)
}
