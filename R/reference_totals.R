# A query cell's total read against the reference's genes. The engine normalises a cell by its
# total over every row it is given (scale_factor / total), so a query whose genes differ from the
# reference's would be read at other levels than the reference's cells were: a full transcriptome
# against a reference of a 760-gene panel reads every gene several times lower, a query of a few
# hundred genes against a whole-transcriptome reference several times higher. finetune() keeps
# each reference gene's mean share of a cell's counts (model$reference_shares); a query cell's
# total is then its counts over the reference's genes (the others left out), divided by the share
# of a reference cell's counts those genes held: the total it would have had over the reference's
# genes. A query of exactly the reference's genes reads as it did before (bench/README.md,
# "Stop 63"). Models of peak islands keep no shares: read so, a query holding half the reference's
# peaks lost 0.055 macro-F1 across donors (scATAC D6T1 -> D5T1, seeds 1-3).

# Each gene's mean share of its cell's counts over the cells of `sources`: a named vector over the
# union of their genes. Sources of different genes (pretrain(list(a, b)), a query beside the
# reference) are put on one scale: a source's cells are shared out over its own genes G, which held
# the share sum(shares[G]) of a cell's counts over the union, so each gene's share is the
# cell-weighted mean, over the sources holding it, of its share there times that sum, found by
# iteration from the plain means. Sources of the same genes give their cells' mean share.
reference_shares <- function(sources) {
  genes <- unique(unlist(lapply(sources, `[[`, "features"), use.names = FALSE))
  per_source <- lapply(sources, function(source) {
    per_gene <- source_class_sums(source, rep(1L, source$n_cells), 1L, function(counts) per_cell_scaled(counts, 1))
    # a repeated name of a source adds up
    list(sums = as.vector(tapply(per_gene[, 1], factor(source$features, levels = genes), sum, default = 0)),
         held = genes %in% source$features, n = as.numeric(source$n_cells))
  })
  sums <- Reduce(`+`, lapply(per_source, `[[`, "sums"))
  n_holding <- Reduce(`+`, lapply(per_source, function(s) s$n * s$held))
  shares <- sums / n_holding
  if (all(vapply(per_source, function(s) all(s$held), logical(1)))) return(stats::setNames(shares, genes))
  shares <- shares / sum(shares)
  for (i in seq_len(200L)) {
    scaled <- Reduce(`+`, lapply(per_source, function(s) s$sums * sum(shares[s$held]))) / n_holding
    scaled <- scaled / sum(scaled)
    done <- max(abs(scaled - shares)) < 1e-12
    shares <- scaled
    if (done) break
  }
  stats::setNames(shares, genes)
}

# The shares a model of `config` keeps of its cell sources `sources` (reference_shares()); none
# for peak islands (see above).
model_shares <- function(config, sources) if (!identical(config$modality, "atac")) reference_shares(sources)

# How the engine reads each of the training sources `sources` (their rows mapped into the
# vocabulary by `maps`) against `shares`, the model's gene shares: a mapping for read_rows() where
# a source's genes differ from the shares' (the query cells a second round of finetune(query = )
# trains on, the datasets of pretrain(list(a, b))), as annotate_cells() reads a query; NULL where
# the cells are read at their own totals (the shares' genes, or no shares).
training_totals <- function(sources, maps, shares) {
  lapply(seq_along(sources), function(k) {
    features <- sources[[k]]$features
    if (!is.null(shares) && !setequal(features, names(shares))) {
      with_reference_totals(list(index = maps[[k]], transform = identity), shares, features)
    }
  })
}

# `mapping` (map_query()) with what read_rows() needs to read a cell's total against the reference
# (`shares`: model$reference_shares; NULL for models without, which read each cell's own total):
# `outside`, the query rows left out of the total (not a reference gene, or a repeated name), and
# `missing`, the share of a reference cell's counts in the reference genes the query lacks over the
# share in those it has (the counts read_rows() adds for them, per count of the cell's own).
# `verbose`: says so when the query's genes differ from the reference's.
with_reference_totals <- function(mapping, shares, features, verbose = FALSE) {
  if (is.null(shares)) return(mapping)
  inside <- features %in% names(shares) & !duplicated(features)
  lacking <- !names(shares) %in% features[inside]
  held <- sum(shares[!lacking])
  mapping$outside <- !inside
  mapping$missing <- if (any(lacking) && held > 0) sum(shares[lacking]) / held else 0
  if (verbose && (any(lacking) || any(!inside))) {
    scaled <- if (any(lacking)) " (they held {round(100 * held / sum(shares), 1)}% of a reference cell's counts: totals scaled up to all {length(shares)})" else ""
    left_out <- if (any(!inside)) "; {sum(!inside)} data gene{?s} outside the reference left out" else ""
    cli::cli_inform(c("i" = paste0("Totals: each cell's counts over the {sum(inside)} reference gene{?s} the data hold", scaled,
                                   ", as the reference's cells were", left_out, ".")))
  }
  mapping
}
