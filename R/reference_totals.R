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

# Each gene's mean share of its cell's counts over the cells of `sources`: a named
# vector over the union of their genes (a gene a source lacks has share 0 in its cells).
reference_shares <- function(sources) {
  genes <- unique(unlist(lapply(sources, `[[`, "features"), use.names = FALSE))
  sums <- numeric(length(genes))
  for (source in sources) {
    per_gene <- source_class_sums(source, rep(1L, source$n_cells), 1L, function(counts) per_cell_scaled(counts, 1))
    # a repeated name of a source adds up
    sums <- sums + as.vector(tapply(per_gene[, 1], factor(source$features, levels = genes), sum, default = 0))
  }
  stats::setNames(sums / sum(vapply(sources, function(s) as.numeric(s$n_cells), numeric(1))), genes)
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
