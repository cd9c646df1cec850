# Vocabulary (gene order) of SCTrans models: sub-vectors group neighbouring vocabulary genes.

# gene_positions as a data.frame(gene, chrom, start).
gene_position_table <- function(x, call = parent.frame()) {
  if (identical(x, "human")) {
    x <- utils::read.delim(system.file("extdata", "human_gene_positions.tsv.gz", package = "scLM"),
                           stringsAsFactors = FALSE)
  } else if (methods::is(x, "GRanges")) {
    genes <- if ("gene_name" %in% names(S4Vectors::mcols(x))) S4Vectors::mcols(x)$gene_name else names(x)
    if (is.null(genes)) cli::cli_abort("{.arg gene_positions}: the GRanges needs names or a {.field gene_name} column.", call = call)
    x <- data.frame(gene = as.character(genes), chrom = as.character(GenomicRanges::seqnames(x)),
                    start = GenomicRanges::start(x), stringsAsFactors = FALSE)
  }
  if (!is.data.frame(x) || !all(c("gene", "chrom", "start") %in% names(x))) {
    cli::cli_abort(c("{.arg gene_positions} must be {.val human}, a GRanges or a data.frame with columns {.field gene}, {.field chrom} and {.field start}.",
                     "x" = "Got {.cls {class(x)[1]}}{if (is.data.frame(x)) paste0(' with columns ', paste(names(x), collapse = ', ')) else ''}."),
                   call = call)
  }
  x <- data.frame(gene = as.character(x$gene), chrom = sub("^chr", "", as.character(x$chrom)),
                  start = as.numeric(x$start), stringsAsFactors = FALSE)
  x <- x[!is.na(x$gene) & !is.na(x$start), , drop = FALSE]
  x[!duplicated(x$gene), , drop = FALSE]
}

# The config with its vocabulary put in the config's gene order (once: a vocabulary taken from a
# trained model keeps its order). `sources`: the training cell sources (or matrices), for
# co-expression.
order_vocabulary <- function(config, sources, seed = 1L) {
  if (isTRUE(config$gene_order_applied)) return(config)
  features <- config$features
  # clustering reads the features in name order: the tree, and so the model, does not depend on the
  # order of the matrix's rows (in row order, 37% of pbmc3k's genes moved with a shuffle of them)
  if (config$gene_order == "coexpression") features <- sort(features, method = "radix")
  order <- switch(config$gene_order,
                  vocabulary = seq_along(features),
                  chromosome = chromosome_order(features, config$gene_positions),
                  coexpression = coexpression_order(features, lapply(sources, as_cell_source), config$scale_factor, seed))
  config$features <- features[order]
  config$gene_order_applied <- TRUE
  config
}

chromosome_order <- function(features, positions) {
  at <- match(features, positions$gene)
  chrom <- positions$chrom[at]
  number <- suppressWarnings(as.numeric(chrom))
  rank <- ifelse(!is.na(number), number, match(chrom, c("X", "Y", "M", "MT"), nomatch = 0L) + 1000)
  if (sum(!is.na(at)) < 0.5 * length(features)) {
    cli::cli_warn(c("Only {sum(!is.na(at))} of {length(features)} vocabulary genes have a position in {.arg gene_positions}.",
                    "i" = "The others keep their vocabulary order after the placed genes."), call = NULL)
  }
  order(is.na(at), rank, chrom, positions$start[at], seq_along(features))
}

# Average-linkage clustering of the features' correlation over up to 2,000 cells (of all
# datasets, sampled with `seed`; only those cells are read) of log1p(counts per `scale_factor`).
# The correlations are a dense features x features matrix: 0.8 GB at 10,000 features, hence
# max_coexpression_features.
coexpression_order <- function(features, sources, scale_factor, seed) {
  keep <- seq_len(sum(cell_counts(sources)))
  if (length(keep) > 2000L) keep <- with_seed(seed, sort(sample.int(length(keep), 2000L)))
  local <- cells_per_source(sources, keep)
  # Sources of different genes (a panel beside a whole transcriptome) on one scale, as training
  # reads them (R/reference_totals.R): a cell's total over its source's genes stands for the share
  # of a cell's counts those genes hold, else every gene of the panel's cells would sit several
  # times higher than the others' and seem to co-vary with every other gene.
  held <- rep(1, length(sources))
  if (length(unique(lapply(sources, function(s) sort(unique(s$features))))) > 1L) {
    shares <- reference_shares(sources)
    held <- vapply(sources, function(s) sum(shares[unique(s$features)]), numeric(1))
  }
  blocks <- lapply(seq_along(sources), function(k) {
    if (length(local[[k]]) == 0L) return(NULL)
    m <- source_cells(sources[[k]], local[[k]])
    m <- Matrix::t(Matrix::t(m) / pmax(Matrix::colSums(m), 1e-12)) * (scale_factor * held[k])
    rows <- match(features, rownames(m))
    present <- which(!is.na(rows))
    entries <- methods::as(m[rows[present], , drop = FALSE], "TsparseMatrix")
    Matrix::sparseMatrix(i = present[entries@i + 1L], j = entries@j + 1L, x = log1p(entries@x),
                         dims = c(length(features), ncol(m)))
  })
  x <- do.call(cbind, Filter(Negate(is.null), blocks))
  n <- ncol(x)
  means <- Matrix::rowMeans(x)
  # the correlations, computed in place a block of columns at a time
  correlation <- as.matrix(Matrix::tcrossprod(x))
  sd <- sqrt(pmax((diag(correlation) - n * (means * means)) / (n - 1), 0))
  for (cols in split(seq_along(means), (seq_along(means) - 1L) %/% 1000L)) {
    block <- (correlation[, cols, drop = FALSE] - n * outer(means, means[cols])) / (n - 1) / outer(sd, sd[cols])
    block[!is.finite(block)] <- 0  # a feature without variance: correlation 0 with all
    correlation[, cols] <- block
  }
  distance <- 1 - stats::as.dist(correlation)
  rm(correlation)
  stats::hclust(distance, method = "average")$order
}
