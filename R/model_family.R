# Model families, told apart by the config's class:
#   c("scLM_config")                         token models (scBERT, scGPT, Geneformer tokenizers)
#   c("scLM_sctrans_config", "scLM_config")  SCTrans: multi-scale gene sub-vectors
#   c("scLM_atac_config", "scLM_config")     scATAC: peak islands (annATAC)
#   c("scLM_sctrans_config", "scLM_atac_config", "scLM_config")  SCTrans on peak islands: the
#                                            model of the first, the vocabulary of the second
# Verbs call the generics below; each family answers through its methods. The class follows
# from the settings (config_class()), so configs saved by older versions get theirs on load.

config_class <- function(config) {
  c(if (identical(config$tokenizer, "subvectors")) "scLM_sctrans_config",
    if (identical(config$modality, "atac")) "scLM_atac_config", "scLM_config")
}

# `config` (a list of settings) with the class of its family.
new_config <- function(config) structure(unclass(config), class = config_class(config))

# ---- training --------------------------------------------------------------------------------

# Defaults of the training settings that differ between families.
family_defaults <- function(config) UseMethod("family_defaults")
#' @exportS3Method family_defaults scLM_config
family_defaults.scLM_config <- function(config) {
  # unknown_method: annotate_cells()'s calibrated score. On genes the reference's expression space
  # ("knn": B cells left out of pbmc3k, 99-100% flagged at 4-5% of others); scATAC cells are too
  # sparse for it and take the model's energy (bench/README.md, "Unknown cell types").
  # class_markers: marker genes per class that a labelled reference's vocabulary holds before the
  # most variable genes (select_features()). Token models read a cell's most expressed genes, and
  # markers by mean difference bring highly expressed ones (ribosomal genes for naive T cells)
  # that crowd out the informative tokens: none for them.
  # match_levels: annotate_cells() brings the query's gene levels towards the reference's
  # (gene_levels.R); measured on SCTrans models of genes (bench/README.md, "Stop 53"), not on
  # token models. Peak islands gained nothing from it (a temporary build, "Stop 54"), so their
  # models keep no levels.
  list(token_dropout = 0.5, class_weights = "balanced", class_sampling = 0, mask_fraction = 0.15, contrastive_weight = 1,
       pretrain_objective = "masked", unknown_method = "knn", n_models = 1L, class_markers = 0L, downsample = 0,
       match_levels = FALSE)
}
#' @exportS3Method family_defaults scLM_sctrans_config
family_defaults.scLM_sctrans_config <- function(config) {
  # Peak islands: dropping 30% of a cell's islands in training beat 10% on every seed measured
  # (bench/README.md, "scATAC: the default model for peaks"). An ensemble of three models of
  # coarse sub-vectors (default_scales()) beat one model of finer ones in about the same time, on
  # peak islands (16 fine types 0.648 vs 0.623) and on genes (mean of 12 tasks 0.949 vs 0.937;
  # "Levers of stop 40" and "of stop 41"). Pretraining keeps the contrastive term of token models:
  # without it, pretraining on peak islands did not pay (bench/README.md, "scATAC-seq").
  atac <- identical(config$modality, "atac")
  # Genes: each class's 20 marker genes in the vocabulary (10% of pbmc3k's reference +0.020
  # macro-F1, 42 task-seed pairs +0.008; bench/README.md, "Stop 45"), and training cells
  # down-sampled to 50-100% of their counts, so that the model does not lean on a depth that
  # another run would not share (symphony's three 10x chemistries +0.024 / +0.077 / +0.019, the
  # tasks within one run -0.003 to 0; "Stop 49"; 0.8 cost within-run tasks up to 0.033).
  # Peak islands gained nothing from it ("Levers of stop 34"). Genes: classes drawn in proportion
  # to the square root of their size, on top of the balanced loss, so each class weighs alike in
  # an epoch (84 task-seed pairs +0.008, symphony's three 10x chemistries +0.016 / +0.037 / 0.000
  # over six seeds; "Stop 60"). Not measured on peak islands.
  utils::modifyList(NextMethod(), list(token_dropout = if (atac) 0.3 else 0.1, n_models = 3L,
                                       class_markers = if (atac) 0L else 20L, downsample = if (atac) 0 else 0.5,
                                       class_weights = "balanced", class_sampling = if (atac) 0 else 0.5,
                                       mask_fraction = 0.75, match_levels = !atac,
                                       pretrain_objective = "masked sub-vector"))
}
#' @exportS3Method family_defaults scLM_atac_config
family_defaults.scLM_atac_config <- function(config) {
  utils::modifyList(NextMethod(), list(class_weights = "none", unknown_method = "energy"))
}

# The training vocabulary: `config` with its features (chosen from the cell sources `sources` of
# host objects `datasets` unless set) in the family's order, the cell sources the model reads (a
# scATAC source becomes one of peak islands) and each source's row -> vocabulary index. With
# `check`, a single dataset's overlap with a given vocabulary is checked and reported (finetune).
fit_vocabulary <- function(config, sources, datasets, assay, seed, verbose, check, labels = NULL) UseMethod("fit_vocabulary")
#' @exportS3Method fit_vocabulary scLM_config
fit_vocabulary.scLM_config <- function(config, sources, datasets, assay, seed, verbose, check, labels = NULL) {
  if (!is.null(labels)) labels <- split(labels, rep(seq_along(sources), vapply(sources, function(s) as.integer(s$n_cells), integer(1))))
  config$features <- select_feature_union(sources, config, labels, family_defaults(config)$class_markers)
  config <- order_features(config, sources, seed)
  maps <- lapply(sources, function(s) {
    if (check) map_features(s$features, config$features, verbose = verbose, training = TRUE)$index else feature_index(s$features, config$features)
  })
  list(config = config, sources = sources, maps = maps)
}
#' @exportS3Method fit_vocabulary scLM_atac_config
fit_vocabulary.scLM_atac_config <- function(config, sources, datasets, assay, seed, verbose, check, labels = NULL) {
  # The family's island order (co-accessibility) reads island values: islands are mapped in
  # genome order first, and again only if the order chosen differs.
  data <- atac_training_data(config, datasets, sources, assay, verbose)
  ordered <- order_features(data$config, data$sources, seed)
  if (!identical(ordered$features, data$config$features)) return(island_sources(ordered, sources, data$peaks, FALSE))
  list(config = ordered, sources = data$sources, maps = data$maps)
}

# The config with its vocabulary in the family's order.
order_features <- function(config, sources, seed) UseMethod("order_features")
#' @exportS3Method order_features scLM_config
order_features.scLM_config <- function(config, sources, seed) config
#' @exportS3Method order_features scLM_sctrans_config
order_features.scLM_sctrans_config <- function(config, sources, seed) order_vocabulary(config, sources, seed)

# ---- inference -------------------------------------------------------------------------------

# Maps the features of cell source `source` (of host `x`) onto the vocabulary of `config`: genes
# by name, peaks by overlap with the model's islands. Returns the vocabulary index of each row
# (of the transformed matrix), a scLM_feature_report and a `transform` that turns each block of
# counts into the matrix the index applies to. `learnt`: the genes the model learnt from, when its
# reference held only some of its vocabulary (model$reference_features; an island vocabulary is
# always mapped whole, so scATAC models have none).
map_query <- function(config, x, source, assay = NULL, min_overlap = 0.25, verbose = TRUE, learnt = NULL,
                      call = parent.frame()) {
  UseMethod("map_query")
}
#' @exportS3Method map_query scLM_config
map_query.scLM_config <- function(config, x, source, assay = NULL, min_overlap = 0.25, verbose = TRUE, learnt = NULL,
                                  call = parent.frame()) {
  check_not_peaks(source$features, call)
  map_features(source$features, config$features, min_overlap, verbose, call, learnt = learnt)
}
#' @exportS3Method map_query scLM_atac_config
map_query.scLM_atac_config <- function(config, x, source, assay = NULL, min_overlap = 0.25, verbose = TRUE,
                                       learnt = NULL, call = parent.frame()) {
  map_peaks(peak_ranges(x, source$features, assay, call = call), config$features, config$island_size,
            min_overlap, verbose, call)
}

# A block of a query's cells as the engine reads it: transformed by `mapping` (peaks -> islands),
# the rows in the model's vocabulary kept in their order and the others summed into one last row
# per cell (`index` maps the rows into the vocabulary, -1 for that row); `readable` says which
# cells hold counts in the vocabulary (cells_with_features()). The engine normalises a
# cell by its total over all rows, which that row keeps, and reads nothing else of the other rows:
# a query of 15,000-30,000 genes holds several times the entries a 2,000-gene model reads, and
# every model of an ensemble would scan them all. With the reference's totals
# (with_reference_totals()), rows outside the reference's genes are left out of that row, and one
# more row holds the counts of the reference genes the query lacks.
read_rows <- function(mapping, counts) {
  counts <- mapping$transform(counts)
  read <- mapping$index >= 0L
  index <- mapping$index
  outside <- mapping$outside %||% logical(length(read))
  if (!all(read)) {
    row_map <- ifelse(read, cumsum(read) - 1L, ifelse(outside, -1L, sum(read)))
    counts <- engine_mapped_rows(counts, row_map, sum(read) + 1L)
    index <- c(index[read], -1L)
  }
  if (isTRUE(mapping$missing > 0)) {  # the counts of the reference genes the query lacks (with_reference_totals())
    added <- round(Matrix::colSums(counts) * mapping$missing)
    counts <- rbind(counts, Matrix::sparseMatrix(i = rep(1L, sum(added > 0)), j = which(added > 0), x = added[added > 0],
                                                 dims = c(1L, ncol(counts))))
    index <- c(index, -1L)
  }
  list(counts = counts, index = index, readable = cells_with_features(counts, index >= 0L))
}

# What a model reads of a block (read_rows()) when its training thinned the cells it learnt from
# (`downsample`: finetune(downsample = ), NULL or 0 for none): each cell at the average of what its
# thinned copies gave in training (engine_thinned_average()). A model that only saw thinned cells
# reads an unthinned one as it read those (bench/README.md, "Stop 62"). The appended row of each
# cell's lost counts maps to no feature.
averaged_input <- function(block, downsample, config) {
  if (!isTRUE(downsample > 0)) return(block)
  block$counts <- engine_thinned_average(block$counts, downsample, config$scale_factor)
  block$index <- c(block$index, -1L)
  block
}

# Errors when a model of `config`'s family cannot do `what` ("attention", "salience", "pooling"),
# naming what to use instead.
check_supports <- function(config, what, call = parent.frame()) UseMethod("check_supports")
#' @exportS3Method check_supports scLM_config
check_supports.scLM_config <- function(config, what, call = parent.frame()) {
  if (what == "salience") {
    cli::cli_abort(c("{.fn salient_features} needs an SCTrans model ({.fn sctrans_config}).",
                     "i" = "For token models, {.fn attention_scores} ranks genes by attention."), call = call)
  }
  invisible(config)
}
#' @exportS3Method check_supports scLM_sctrans_config
check_supports.scLM_sctrans_config <- function(config, what, call = parent.frame()) {
  switch(what,
    attention = cli::cli_abort(c("SCTrans models attend over gene sub-vectors, not single genes.",
                                 "i" = "Use {.fn salient_features} for the selected sub-vectors and their genes per cell type."),
                               call = call),
    pooling = cli::cli_abort(c("SCTrans models have no CLS token; {.arg pooling} applies to token models.",
                               "i" = "Leave {.arg pooling} out: the embedding joins one pooled vector per sub-vector scale."),
                             call = call))
  invisible(config)
}

# ---- descriptions ----------------------------------------------------------------------------

# What the vocabulary holds: "genes" or e.g. "5 kb peak islands".
vocabulary_unit <- function(config) UseMethod("vocabulary_unit")
#' @exportS3Method vocabulary_unit scLM_config
vocabulary_unit.scLM_config <- function(config) "genes"
#' @exportS3Method vocabulary_unit scLM_atac_config
vocabulary_unit.scLM_atac_config <- function(config) sprintf("%g kb peak islands", config$island_size / 1000)

# One feature of the vocabulary, in a word.
feature_word <- function(config) UseMethod("feature_word")
#' @exportS3Method feature_word scLM_config
feature_word.scLM_config <- function(config) "gene"
#' @exportS3Method feature_word scLM_atac_config
feature_word.scLM_atac_config <- function(config) "island"

# The vocabulary's features, in words: "genes" or "peak islands".
vocabulary_noun <- function(config) UseMethod("vocabulary_noun")
#' @exportS3Method vocabulary_noun scLM_config
vocabulary_noun.scLM_config <- function(config) "genes"
#' @exportS3Method vocabulary_noun scLM_atac_config
vocabulary_noun.scLM_atac_config <- function(config) "peak islands"

# How the vocabulary is chosen.
vocabulary_text <- function(config) UseMethod("vocabulary_text")
#' @exportS3Method vocabulary_text scLM_config
vocabulary_text.scLM_config <- function(config) {
  markers <- family_defaults(config)$class_markers
  if (!is.null(config$features)) {
    paste(length(config$features), "given genes")
  } else if (markers == 0L) {
    paste(config$n_features, "most variable genes (vst)")
  } else {
    sprintf("%d genes: %d markers per class (fine-tuned on labels), then the most variable (vst)", config$n_features, markers)
  }
}
#' @exportS3Method vocabulary_text scLM_atac_config
vocabulary_text.scLM_atac_config <- function(config) {
  if (!is.null(config$features)) paste(length(config$features), "given islands") else
    sprintf("%d most open %g kb peak islands%s", config$n_features, config$island_size / 1000,
            if (is.null(config$tss)) "" else " with a TSS")
}

architecture_text <- function(config) UseMethod("architecture_text")
#' @exportS3Method architecture_text scLM_config
architecture_text.scLM_config <- function(config) {
  sprintf("%d layer(s), dim %d, %d heads, %s attention, %s head", config$n_layers, config$dim, config$n_heads,
          config$attention, config$head)
}
#' @exportS3Method architecture_text scLM_sctrans_config
architecture_text.scLM_sctrans_config <- function(config) {
  light <- config$subvectors$light_weight
  sprintf("SCTrans: %d layer(s), dim %d, %d heads, %s attention; selection encoder of %d layer(s)%s",
          config$n_layers, config$dim, config$n_heads, config$attention, config$subvectors$light_layers,
          if (light > 0) sprintf(", its classifier %g%% of predictions", 100 * light) else "")
}

# What a cell's tokens are, in a few words.
tokens_text <- function(config) UseMethod("tokens_text")
#' @exportS3Method tokens_text scLM_config
tokens_text.scLM_config <- function(config) {
  if (isTRUE(config$full_length)) "all features per cell" else sprintf("top %d features per cell", config$max_tokens)
}
#' @exportS3Method tokens_text scLM_sctrans_config
tokens_text.scLM_sctrans_config <- function(config) {
  sprintf("%s-%s sub-vectors in %s", paste(config$subvectors$scales, collapse = "/"), feature_word(config),
          order_text(config))
}

# The order of an SCTrans vocabulary, in words.
order_text <- function(config) {
  atac <- identical(config$modality, "atac")
  switch(config$gene_order, vocabulary = if (atac) "genome order" else "vocabulary order",
         chromosome = "chromosome order", coexpression = if (atac) "co-accessibility order" else "co-expression order")
}

# The config's token line of print().
tokens_line <- function(config) UseMethod("tokens_line")
#' @exportS3Method tokens_line scLM_config
tokens_line.scLM_config <- function(config) {
  unit <- feature_word(config)
  tokens <- if (isTRUE(config$full_length)) paste("every", unit) else paste("top", config$max_tokens, paste0(unit, "s"))
  values <- switch(config$tokenizer, bins = sprintf("expression bins 0..%d", config$max_bin),
                   value_bins = sprintf("per-cell quantile bins 1..%d", config$max_bin), rank = "expression rank",
                   counts = sprintf("counts 0..%d", config$max_bin))
  if (identical(config$position_embedding, "svd")) {
    values <- paste0(values, "; SVD position embedding", if (config$freeze_positions) " (frozen)" else "")
  }
  sprintf("tokens (%s): %s of %s; values: %s\n", config$tokenizer, tokens, vocabulary_text(config), values)
}
#' @exportS3Method tokens_line scLM_sctrans_config
tokens_line.scLM_sctrans_config <- function(config) {
  sprintf("tokens (sub-vectors): log1p(CP10k) of %s in %s, cut into %s-%s sub-vectors\n", vocabulary_text(config),
          order_text(config), paste(config$subvectors$scales, collapse = "/"), feature_word(config))
}
