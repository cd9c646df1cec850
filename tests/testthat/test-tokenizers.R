# The C++ tokenizers against slow pure-R reference implementations, on real pbmc3k cells.
# Definitions (see src/core/data/tokenizer.h):
#  * a cell's value of vocabulary gene g: its count in the row mapped to g; expressed: value > 0;
#    library size: the sum of the whole column; CP10k = value / total * scale_factor.
#  * bins: the top max_tokens expressed genes (decreasing value, ties by vocabulary index),
#    value min(floor(bins_per_log2 * log2(1 + CP10k)), max_bin).
#  * value_bins: the same genes, value = findInterval(x, quantile(s, seq(0, 1, length.out = max_bin)))
#    for the cell's expressed values s (numpy.digitize of numpy.quantile); then a sample of
#    round_half_up(zero_share * kept) unexpressed vocabulary genes (capped at max_tokens in total),
#    value 0, in vocabulary order.
#  * rank: the top max_tokens expressed genes by CP10k / gene_scale (ties by vocabulary index),
#    value = position 0, 1, ...
#  * full_length: every vocabulary gene in vocabulary order, 0 when unexpressed.

tok_config <- function(kind = "bins", max_tokens = 64L, max_bin = 10L, full_length = FALSE, zero_share = 0,
                       seed = 1, gene_scale = numeric(), bins_per_log2 = 2) {
  list(max_tokens = max_tokens, max_bin = max_bin, scale_factor = 1e4, bins_per_log2 = bins_per_log2,
       kind = kind, full_length = full_length, zero_share = zero_share, seed = seed, gene_scale = gene_scale)
}

# 50 real cells; a vocabulary of 520 genes in shuffled order: 500 of them mapped from input rows
# (other input rows are outside the vocabulary), 20 never mapped.
tok_fixture <- function() {
  if (is.null(.cache$tok)) {
    counts <- pbmc3k()$counts
    set.seed(5)
    cells <- sort(sample.int(ncol(counts), 50L))
    m <- counts[, cells]
    expressed_rows <- which(Matrix::rowSums(m > 0) > 0)
    rows <- sample(c(sample(expressed_rows, 450L), sample(setdiff(seq_len(nrow(m)), expressed_rows), 50L)))
    n_features <- 520L
    vocab <- sample.int(n_features, 500L) - 1L  # vocabulary index of each chosen row
    feature_map <- rep(-1L, nrow(m))
    feature_map[rows] <- vocab
    .cache$tok <- list(m = m, feature_map = feature_map, n_features = n_features)
  }
  .cache$tok
}

# The cell's expressed vocabulary genes: value, vocabulary index, library size.
ref_cell <- function(m, feature_map, j) {
  col <- as.numeric(m[, j])
  keep <- which(col > 0 & feature_map >= 0)
  list(x = col[keep], gene = feature_map[keep], total = sum(col))
}

ref_value_bins <- function(x, max_bin) {
  edges <- stats::quantile(x, probs = seq(0, 1, length.out = max_bin), type = 7, names = FALSE)
  findInterval(x, edges)
}

# Exact-arithmetic form of the same bins: #{j : s[ceiling((n - 1) j / (K - 1))] <= x}.
ref_value_bins_exact <- function(x, max_bin) {
  s <- sort(x)
  n <- length(s)
  edges <- s[ceiling((n - 1) * (seq_len(max_bin) - 1) / (max_bin - 1)) + 1]
  vapply(x, function(v) sum(edges <= v), integer(1))
}

ref_tokenize <- function(m, feature_map, n_features, cfg) {
  lapply(seq_len(ncol(m)), function(j) {
    cell <- ref_cell(m, feature_map, j)
    x <- cell$x; g <- cell$gene
    if (cfg$kind == "rank") {
      score <- x / cell$total * cfg$scale_factor / cfg$gene_scale[g + 1]
      o <- order(-score, g)[seq_len(min(length(x), cfg$max_tokens))]
      return(list(genes = g[o], values = seq_along(o) - 1L))
    }
    value <- if (cfg$kind == "bins") {
      pmin(pmax(floor(cfg$bins_per_log2 * log2(1 + x * cfg$scale_factor / cell$total)), 0), cfg$max_bin)
    } else {
      ref_value_bins(x, cfg$max_bin)
    }
    if (cfg$full_length) {
      values <- integer(n_features)
      values[g + 1] <- value
      return(list(genes = seq_len(n_features) - 1L, values = as.integer(values)))
    }
    o <- order(-x, g)[seq_len(min(length(x), cfg$max_tokens))]
    list(genes = g[o], values = as.integer(value[o]))
  })
}

split_tokens <- function(tok) {
  lapply(seq_len(length(tok$offsets) - 1L), function(c) {
    idx <- seq_len(tok$offsets[c + 1] - tok$offsets[c]) + tok$offsets[c]
    list(genes = tok$genes[idx], values = tok$values[idx])
  })
}

test_that("the exact quantile-bin formula is R's type-7 quantile + findInterval on real cells", {
  f <- tok_fixture()
  for (j in seq_len(ncol(f$m))) {
    x <- ref_cell(f$m, f$feature_map, j)$x
    for (K in c(2L, 5L, 11L, 51L)) expect_identical(ref_value_bins_exact(x, K), ref_value_bins(x, K))
  }
})

test_that("bins tokens match the R reference", {
  f <- tok_fixture()
  for (cfg in list(tok_config("bins", max_tokens = 64L, max_bin = 10L),
                   tok_config("bins", max_tokens = 700L, max_bin = 30L, bins_per_log2 = 3),
                   tok_config("bins", max_tokens = 8L, full_length = TRUE))) {
    got <- split_tokens(scLM:::sclm_tokenize(f$m, f$feature_map, f$n_features, cfg))
    expect_identical(got, ref_tokenize(f$m, f$feature_map, f$n_features, cfg))
  }
  full <- scLM:::sclm_tokenize(f$m, f$feature_map, f$n_features, tok_config("bins", full_length = TRUE))
  expect_identical(diff(full$offsets), rep(as.numeric(f$n_features), ncol(f$m)))
})

test_that("value_bins tokens match the R reference", {
  f <- tok_fixture()
  for (cfg in list(tok_config("value_bins", max_tokens = 64L, max_bin = 10L),
                   tok_config("value_bins", max_tokens = 1000L, max_bin = 51L),
                   tok_config("value_bins", max_tokens = 5L, max_bin = 2L),
                   tok_config("value_bins", max_bin = 20L, full_length = TRUE, zero_share = 2))) {
    got <- split_tokens(scLM:::sclm_tokenize(f$m, f$feature_map, f$n_features, cfg))
    ref <- ref_tokenize(f$m, f$feature_map, f$n_features, cfg)
    expect_identical(got, ref)
    for (cell in got) {
      nz <- cell$values[cell$values > 0]
      expect_true(all(nz >= 1L & nz <= cfg$max_bin))
    }
  }
})

test_that("value_bins samples zero genes reproducibly per cell id", {
  f <- tok_fixture()
  cfg <- tok_config("value_bins", max_tokens = 96L, max_bin = 20L, zero_share = 0.5, seed = 7)
  got <- split_tokens(scLM:::sclm_tokenize(f$m, f$feature_map, f$n_features, cfg))
  ref <- ref_tokenize(f$m, f$feature_map, f$n_features, cfg)
  for (j in seq_along(got)) {
    kept <- length(ref[[j]]$genes)
    cell <- ref_cell(f$m, f$feature_map, j)
    n_zero <- min(floor(0.5 * kept + 0.5), 96L - kept, f$n_features - length(cell$gene))
    expect_identical(length(got[[j]]$genes), as.integer(kept + n_zero))
    idx <- seq_len(kept)
    expect_identical(lapply(got[[j]], `[`, idx), ref[[j]])
    zeros <- got[[j]]$genes[-idx]
    expect_true(all(got[[j]]$values[-idx] == 0L))
    expect_false(any(zeros %in% cell$gene))
    expect_true(all(zeros >= 0L & zeros < f$n_features))
    expect_false(is.unsorted(zeros, strictly = TRUE))
  }
  # the same cells under the same ids, alone or reordered: the same tokens
  again <- split_tokens(scLM:::sclm_tokenize(f$m, f$feature_map, f$n_features, cfg))
  expect_identical(again, got)
  pick <- c(40L, 3L, 17L)
  sub <- split_tokens(scLM:::sclm_tokenize(f$m[, pick], f$feature_map, f$n_features, cfg, cell_ids = pick - 1))
  expect_identical(sub, got[pick])
  # other ids or another seed: other samples
  other <- split_tokens(scLM:::sclm_tokenize(f$m[, pick], f$feature_map, f$n_features, cfg, cell_ids = pick))
  expect_false(identical(other, got[pick]))
  cfg$seed <- 8
  reseeded <- split_tokens(scLM:::sclm_tokenize(f$m, f$feature_map, f$n_features, cfg))
  expect_false(identical(reseeded, got))
})

test_that("gene medians match R's median of non-zero CP10k values", {
  f <- tok_fixture()
  counts <- pbmc3k()$counts
  m2 <- counts[, 101:160]
  map2 <- rep(-1L, nrow(m2))
  map2[1:3000] <- c(f$feature_map[f$feature_map >= 0][1:300], rep(-1L, 2700))
  med <- scLM:::sclm_gene_medians(list(f$m, m2), list(f$feature_map, map2), f$n_features, 1e4)
  expect_length(med, f$n_features)
  values <- vector("list", f$n_features)
  for (d in list(list(f$m, f$feature_map), list(m2, map2))) {
    total <- Matrix::colSums(d[[1]])
    tm <- as(d[[1]], "TsparseMatrix")
    ok <- tm@x > 0 & d[[2]][tm@i + 1] >= 0
    cp <- tm@x[ok] / total[tm@j[ok] + 1] * 1e4
    g <- d[[2]][tm@i[ok] + 1]
    for (k in unique(g)) values[[k + 1]] <- c(values[[k + 1]], cp[g == k])
  }
  ref <- vapply(values, function(v) if (length(v)) stats::median(v) else 1, numeric(1))
  expect_equal(med, ref, tolerance = 1e-6)
  expect_true(any(lengths(values) == 0) && all(med[lengths(values) == 0] == 1))
  expect_error(scLM:::sclm_gene_medians(list(f$m), list(f$feature_map[-1]), f$n_features, 1e4), "feature_map")
})

test_that("rank tokens match the R reference", {
  f <- tok_fixture()
  gene_scale <- scLM:::sclm_gene_medians(list(f$m), list(f$feature_map), f$n_features, 1e4)
  for (max_tokens in c(1L, 64L, 2000L)) {
    cfg <- tok_config("rank", max_tokens = max_tokens, gene_scale = gene_scale)
    got <- split_tokens(scLM:::sclm_tokenize(f$m, f$feature_map, f$n_features, cfg))
    expect_identical(got, ref_tokenize(f$m, f$feature_map, f$n_features, cfg))
  }
})

test_that("invalid tokenizer settings are errors", {
  f <- tok_fixture()
  tokenize <- function(cfg) scLM:::sclm_tokenize(f$m, f$feature_map, f$n_features, cfg)
  expect_error(tokenize(tok_config("rank")), "gene_scale")
  expect_error(tokenize(tok_config("rank", gene_scale = rep(1, 10))), "gene_scale")
  expect_error(tokenize(tok_config("rank", gene_scale = rep(1, f$n_features), full_length = TRUE)), "full_length")
  expect_error(tokenize(tok_config("words")), "tokenizer setting `kind`: \"words\" is not one of \"bins\", \"value_bins\", \"rank\", \"counts\", \"subvectors\"", fixed = TRUE)
  expect_error(tokenize(tok_config("value_bins", max_bin = 1L)), "max_bin")
  expect_error(tokenize(tok_config("value_bins", zero_share = 11)), "zero_share")
  expect_error(tokenize(tok_config("bins", max_tokens = 0L)), "max_tokens")
  expect_error(scLM:::sclm_tokenize(f$m, f$feature_map[-1], f$n_features, tok_config()), "feature_map")
  bad_map <- f$feature_map
  bad_map[1] <- f$n_features
  expect_error(scLM:::sclm_tokenize(f$m, bad_map, f$n_features, tok_config()), "outside the vocabulary")
})
