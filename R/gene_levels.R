# Gene levels matched to the reference's (annotate_cells(match_levels = )). Another lab or platform
# captures each gene with its own efficiency, so a query's cells of one type hold some genes at
# other levels than the reference's cells of that type did (10x 5' against 3' most of all). At
# fine-tuning the model keeps each class's mean level of every vocabulary feature (counts per
# 10,000 of the cell's vocabulary counts); annotate_cells() labels a sample of the query, compares
# the two per class, and rescales each query feature by the median over classes of the
# reference's level over the query's, half-way (the power), within [1/8, 8], before it labels every
# cell. The median over classes keeps a class's own markers and the query's mix of types out of
# the factors (bench/README.md, "Stop 53").
gene_level_settings <- list(min_cells = 10L, pseudo_count = 0.1, max_factor = 8, power = 0.5, sample_cells = 1000L)

# Each vocabulary feature's counts per 10,000 of the cell's vocabulary counts (rows of `counts`
# indexed into the vocabulary by `map`).
vocabulary_levels <- function(counts, map, n_features) per_cell_scaled(engine_mapped_rows(counts, map, n_features))

# The reference's class means (vocabulary features x classes) and class sizes, one pass over
# cell sources `sources` whose rows `maps` index into n_features; `codes`: 0-based classes of
# their cells, numbered through all sources (and perhaps more cells after them).
reference_levels <- function(sources, maps, n_features, codes, n_classes) {
  first <- 0L
  sums <- 0
  for (k in seq_along(sources)) {
    cells <- first + seq_len(sources[[k]]$n_cells)
    sums <- sums + source_class_sums(sources[[k]], codes[cells] + 1L, n_classes,
                                     function(counts) vocabulary_levels(counts, maps[[k]], n_features))
    first <- first + sources[[k]]$n_cells
  }
  n <- tabulate(codes[seq_len(first)] + 1L, n_classes)
  list(means = sweep(sums, 2L, pmax(n, 1L), `/`), n = n)
}

# Per vocabulary feature, the factor that brings the query's levels towards the reference's
# (1 where no class has min_cells cells on both sides), from the counts of a sample of query cells
# (rows indexed into the vocabulary by `map`) and their classes (1-based).
level_factors <- function(levels, counts, map, classes, n_classes) {
  s <- gene_level_settings
  n_query <- tabulate(classes, n_classes)
  shared <- which(n_query >= s$min_cells & levels$n >= s$min_cells)
  if (!length(shared)) return(rep(1, nrow(levels$means)))
  query <- sweep(class_sum_matrix(vocabulary_levels(counts, map, nrow(levels$means)), classes, n_classes), 2L,
                 pmax(n_query, 1L), `/`)
  log_ratio <- log(levels$means[, shared, drop = FALSE] + s$pseudo_count) - log(query[, shared, drop = FALSE] + s$pseudo_count)
  ratio <- exp(apply(log_ratio, 1L, stats::median))
  pmin(pmax(ratio, 1 / s$max_factor), s$max_factor)^s$power
}

# The factors for the cells of cell source `source` (of a query whose rows `mapping` maps into the
# vocabulary of `model`): up to gene_level_settings$sample_cells evenly spaced cells labelled as
# they are by the model's first classifier (an ensemble's others would triple the cost of this
# pass for labels that only set class means).
query_level_factors <- function(model, source, mapping, run, call) {
  n <- min(source$n_cells, gene_level_settings$sample_cells)
  cells <- unique(round(seq(1, source$n_cells, length.out = n)))
  block <- read_rows(mapping, source_cells(source, cells))
  counts <- block$counts[, block$readable, drop = FALSE]
  if (!ncol(counts)) return(NULL)
  input <- averaged_input(list(counts = counts, index = block$index), model$training$downsample, model$config)
  logits <- engine_classify_members(list(model$weights), model$config, length(model$labels), input$counts, input$index,
                                    run, FALSE, call = call)$logits
  level_factors(model$gene_levels, counts, block$index, max.col(logits, ties.method = "first"), length(model$labels))
}

# `counts` (rows indexed into the vocabulary by `map`) with each row scaled by its feature's factor.
rescale_rows <- function(counts, map, factors) {
  row_factor <- ifelse(map >= 0L, factors[pmax(map, 0L) + 1L], 1)
  counts@x <- counts@x * row_factor[counts@i + 1L]
  counts
}
