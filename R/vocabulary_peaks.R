# Vocabulary (scATAC-seq): peaks and peak islands (annATAC). The genome is cut into bins of
# `island_size` bp per chromosome; an island is a bin that peaks overlap, and its value in a cell
# is the ceiling of the mean count of the peaks overlapping it. Island k of a chromosome covers
# positions k * island_size to (k + 1) * island_size - 1, and is named "chrom-start-end"; a peak
# crossing a bin edge belongs to both islands. Query peaks meet a model's islands by this overlap
# rule, never by name. The parsing, overlap and aggregation run in the C++ core (data/peaks.h).

# Peak coordinates of the rows (`features`, the row names of its counts) of host `x`: the
# ranges of a Signac ChromatinAssay or of a SummarizedExperiment's rowRanges when present, else
# parsed from the row names ("chr-start-end" or "chr:start-end").
peak_ranges <- function(x, features, assay = NULL, arg = "x", call = parent.frame()) {
  ranges <- host_peak_ranges(x, assay)
  if (!is.null(ranges) && length(ranges) == length(features)) {
    return(data.frame(chrom = as.character(GenomicRanges::seqnames(ranges)),
                      start = as.numeric(GenomicRanges::start(ranges)),
                      end = as.numeric(GenomicRanges::end(ranges))))
  }
  parsed <- engine_parse_peaks(features)
  if (!all(parsed$ok)) {
    bad <- which(!parsed$ok)
    if (length(bad) > 0.9 * length(features)) {
      cli::cli_abort(c("{.arg {arg}} holds genes ({.val {utils::head(features, 2)}}), not peaks, but the model is an scATAC-seq model.",
                       "i" = "Annotate scRNA-seq cells with an RNA model, or pass the peak assay (e.g. {.code assay = \"peaks\"})."),
                     call = call)
    }
    cli::cli_abort(c("{.arg {arg}} has {length(bad)} row name{?s} that {?is not a peak name/are not peak names}: {.val {utils::head(features[bad], 5)}} (row{?s} {utils::head(bad, 5)}).",
                     "i" = "scATAC models need peaks named {.val chr1-10000-10500} or {.val chr1:10000-10500}, or a Signac ChromatinAssay with ranges."),
                   call = call)
  }
  data.frame(chrom = parsed$chrom, start = parsed$start, end = parsed$end)
}

island_names <- function(islands, size) {
  paste0(islands$chrom, "-", format(islands$bin * size, scientific = FALSE, trim = TRUE), "-",
         format((islands$bin + 1) * size - 1, scientific = FALSE, trim = TRUE))
}

# Island names -> data.frame(chrom, bin).
parse_islands <- function(names, size) {
  parsed <- engine_parse_peaks(names)
  data.frame(chrom = parsed$chrom, bin = parsed$start %/% size)
}

# The island vocabulary of a model: the islands the peaks of the cell sources `sources` overlap
# (only those holding a TSS when config$tss is set), the config$n_features open in the most cells,
# in genomic order. The cells are read block by block.
select_islands <- function(sources, peaks, config, call = parent.frame()) {
  size <- config$island_size
  all_peaks <- do.call(rbind, peaks)
  islands <- as.data.frame(engine_peak_islands(all_peaks$chrom, all_peaks$start, all_peaks$end, size))
  detected <- numeric(nrow(islands))
  for (k in seq_along(sources)) {
    map <- engine_map_peaks(peaks[[k]]$chrom, peaks[[k]]$start, peaks[[k]]$end, islands$chrom, islands$bin, size)
    source_walk(sources[[k]], function(counts) {
      detected <<- detected + tabulate(engine_island_counts(counts, map, NULL)@i + 1L, nrow(islands))
    })
  }
  keep <- detected > 0
  if (!is.null(config$tss)) keep <- keep & islands_with_tss(islands, config$tss, size)
  if (sum(keep) < 10L) {
    cli::cli_abort(c("Only {sum(keep)} peak island{?s} {?is/are} open in any cell{if (!is.null(config$tss)) ' and hold a TSS' else ''}; scLM needs at least 10.",
                     "i" = if (!is.null(config$tss)) "Check that {.arg tss} uses the genome and chromosome names of the peaks." else "Pass more peaks or cells."),
                   call = call)
  }
  candidates <- which(keep)
  chosen <- candidates[order(-detected[candidates], candidates)[seq_len(min(config$n_features, length(candidates)))]]
  island_names(islands[sort(chosen), ], size)
}

islands_with_tss <- function(islands, tss, size) {
  paste(islands$chrom, islands$bin) %in% paste(tss$chrom, tss$position %/% size)
}

# Maps a query's peaks onto the model's islands by overlap: the island matrix maker, the
# (identity) index into the vocabulary, and a scLM_feature_report.
map_peaks <- function(peaks, model_features, size, min_overlap = 0.25, verbose = TRUE, call = parent.frame()) {
  islands <- parse_islands(model_features, size)
  map <- engine_map_peaks(peaks$chrom, peaks$start, peaks$end, islands$chrom, islands$bin, size)
  hit <- tabulate(map$island + 1L, length(model_features)) > 0
  report <- new_feature_report(model_features, paste(peaks$chrom, peaks$start, peaks$end, sep = "-"),
                               n_matched = sum(hit), missing = model_features[!hit],
                               n_extra = sum(diff(map$offsets) == 0L), duplicated = character(0),
                               model_ids = "peak islands", query_ids = "peaks")
  check_overlap(report, min_overlap, verbose, call)
  list(index = seq_along(model_features) - 1L, report = report,
       transform = function(counts) engine_island_counts(counts, map, model_features))
}

# The truncated SVD of the TF-IDF island x cell matrix (LSI, as Signac's RunTFIDF + RunSVD):
# one `dim`-long vector per island, the left singular vectors times the singular values, scaled
# to an RMS of 1 so that the pre-norm encoder sees them at unit scale. Uses irlba; the user's
# random seed is left alone.
svd_positions <- function(matrices, dim, seed) {
  m <- do.call(cbind, matrices)
  m@x <- m@x / rep(Matrix::colSums(m), diff(m@p))                        # term frequency
  idf <- ncol(m) / pmax(tabulate(m@i + 1L, nrow(m)), 1)
  m@x <- log1p(m@x * idf[m@i + 1L] * 1e4)
  rank <- min(dim, min(dim(m)) - 1L)
  vectors <- matrix(0, nrow(m), dim)
  if (rank >= 1L) {
    fit <- with_seed(seed, irlba::irlba(m, nv = rank, nu = rank))
    vectors[, seq_len(rank)] <- fit$u %*% diag(fit$d, rank)
  }
  vectors * (position_scale / max(sqrt(mean(vectors^2)), 1e-12))
}

position_scale <- 1

# TSS positions from a GRanges (of genes or transcripts: their strand-aware starts), a
# data.frame with chrom and position, or a GTF file (transcript starts, else gene starts).
tss_positions <- function(tss, arg = "tss", call = parent.frame()) {
  if (is.null(tss)) return(NULL)
  if (is.character(tss) && length(tss) == 1L) {
    if (!file.exists(tss)) cli::cli_abort("{.arg {arg}}: GTF file {.path {tss}} does not exist.", call = call)
    gtf <- utils::read.delim(tss, header = FALSE, comment.char = "#", quote = "", colClasses = "character")
    if (ncol(gtf) < 7L) cli::cli_abort("{.arg {arg}}: {.path {tss}} is not a GTF file (fewer than 7 columns).", call = call)
    type <- if (any(gtf$V3 == "transcript")) "transcript" else "gene"
    gtf <- gtf[gtf$V3 == type, ]
    start <- ifelse(gtf$V7 == "-", as.numeric(gtf$V5), as.numeric(gtf$V4))
    out <- data.frame(chrom = gtf$V1, position = start)
  } else if (methods::is(tss, "GRanges")) {
    minus <- as.character(GenomicRanges::strand(tss)) == "-"
    out <- data.frame(chrom = as.character(GenomicRanges::seqnames(tss)),
                      position = ifelse(minus, GenomicRanges::end(tss), GenomicRanges::start(tss)))
  } else if (is.data.frame(tss) && all(c("chrom", "position") %in% names(tss))) {
    out <- data.frame(chrom = as.character(tss$chrom), position = as.numeric(tss$position))
  } else {
    cli::cli_abort(c("{.arg {arg}} must be a GRanges, a data.frame with {.field chrom} and {.field position}, or a GTF file path.",
                     "i" = "From an EnsDb: {.code ensembldb::transcripts(edb)}; see {.code ?annatac_config}."),
                   call = call)
  }
  out <- out[!is.na(out$chrom) & is.finite(out$position), ]
  if (nrow(out) == 0L) cli::cli_abort("{.arg {arg}} holds no TSS positions.", call = call)
  unique(out)
}

# Island names of a given vocabulary must be whole island_size bins.
check_island_names <- function(features, size, arg = "features", call = parent.frame()) {
  parsed <- engine_parse_peaks(features)
  bad <- !parsed$ok | parsed$start %% size != 0 | parsed$end != parsed$start + size - 1
  bad[is.na(bad)] <- TRUE
  if (any(bad)) {
    cli::cli_abort(c("{.arg {arg}} must name {size} bp peak islands like {.val {paste0('chr1-', size, '-', 2 * size - 1)}}; {sum(bad)} do not: {.val {utils::head(features[bad], 3)}}.",
                     "i" = "Leave {.arg {arg}} out to build the islands from the data's peaks."), call = call)
  }
}

# scATAC training data: the island vocabulary (from the datasets' peaks unless config$features
# is set, in genome order) and, for each cell source of `sources` (of host objects `datasets`), a
# cell source that turns its peaks into islands block by block, with its (identity) vocabulary
# index. `peaks`: each dataset's peak ranges, kept for island_sources() to map them again in
# another island order.
atac_training_data <- function(config, datasets, sources, assay, verbose, call = parent.frame()) {
  peaks <- lapply(seq_along(sources), function(k) peak_ranges(datasets[[k]], sources[[k]]$features, assay, island_arg(sources, k), call))
  if (is.null(config$features)) config$features <- select_islands(sources, peaks, config, call)
  config$tss <- NULL  # used by the vocabulary choice only
  c(island_sources(config, sources, peaks, verbose, call), list(peaks = peaks))
}

# The training data of atac_training_data() for the islands of `config` in their order.
island_sources <- function(config, sources, peaks, verbose, call = parent.frame()) {
  mapped <- lapply(seq_along(sources), function(k) {
    mapping <- map_peaks(peaks[[k]], config$features, config$island_size, 0, verbose && length(sources) == 1L, call)
    list(source = derived_source(sources[[k]], mapping$transform, config$features, island_arg(sources, k)),
         index = mapping$index)
  })
  list(config = config, sources = lapply(mapped, `[[`, "source"), maps = lapply(mapped, `[[`, "index"))
}

# How the island matrix of dataset k is named in errors (as the training matrices always were).
island_arg <- function(sources, k) if (length(sources) > 1L) sprintf("x[[%d]]", k) else "x"

# The position-embedding fields of the training settings `train`: the SVD feature vectors
# (row-major n_features x dim) when position_embedding = "svd" and training starts from scratch,
# and whether the feature embedding stays frozen. The SVD reads the cells of the cell sources
# `sources` (all of them when a source is one block, else a sample of one block's worth).
with_positions <- function(train, config, sources, maps, from_scratch = TRUE) {
  svd <- identical(config$position_embedding, "svd")
  train$freeze_features <- svd && isTRUE(config$freeze_positions)
  if (svd && from_scratch) train$feature_vectors <- position_vectors(config, lapply(sources, source_sample), maps, train$seed)
  train
}

position_vectors <- function(config, counts, maps, seed) {
  n <- length(config$features)
  matrices <- lapply(seq_along(counts), function(k) engine_mapped_rows(counts[[k]], maps[[k]], n))
  as.numeric(t(svd_positions(matrices, config$dim, seed)))
}
