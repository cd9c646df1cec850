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
# (map_query()), then each checked block of cells is transformed (peaks -> islands), cut to the
# rows the model reads (read_rows()) and handed over. per_block(result, counts, index)
# post-processes a block's result (of those counts, whose rows `index` maps into the vocabulary)
# before the blocks are joined with `combine`. A model trained on thinned cells reads each block at
# their average (averaged_input()); with `match_levels`, with its features rescaled towards the
# reference's levels (gene_levels.R) as well; per_block() gets the
# counts as they are (the "knn" unknown score compares the query's own levels with the
# reference's).
# `readable` says, per cell, whether any of its counts fall in the model's vocabulary: a cell
# without (no counts at all, or none in the model's features) gives the model nothing to read, and
# the verbs report NA for it rather than what the model makes of an empty sequence.
run_on_cells <- function(model, x, source, assay, infer, weights, run, ..., min_overlap, verbose, combine = rbind,
                         per_block = function(result, counts, index) result, match_levels = FALSE, call = parent.frame()) {
  mapping <- map_query(model$config, x, source, assay, min_overlap, verbose, learnt = model$reference_features, call = call)
  mapping <- with_reference_totals(mapping, model$reference_shares, source$features, verbose)
  factors <- if (match_levels) query_level_factors(model, source, mapping, run, call)
  readable <- logical(0)
  result <- source_blocks(source, function(counts) {
    block <- read_rows(mapping, counts)
    readable <<- c(readable, block$readable)
    input <- averaged_input(block, model$training$downsample, model$config)
    read <- if (is.null(factors)) input$counts else rescale_rows(input$counts, input$index, factors)
    per_block(infer(weights, model$config, length(model$labels), read, input$index, run, ..., call = call), block$counts,
              block$index)
  }, combine = combine)
  if (!all(readable)) {
    n <- sum(!readable)
    cli::cli_warn(c("{n} cell{?s} of {.arg {source$arg}} {cli::qty(n)}{?has/have} no counts in the model's {report_unit(mapping$report)}: {cli::qty(n)}{?its/their} results are NA ({.val {utils::head(source$cells[!readable], 3)}}).",
                    "i" = "Such cells are empty or of a different assay; remove them or check the input."), call = call)
  }
  list(result = result, mapping = mapping$report, readable = readable)
}
