# The gene order of SCTrans vocabularies (R/vocabulary_gene_order.R).

test_that("the chromosome order sorts the vocabulary by genome position", {
  p <- pbmc3k()
  cfg <- sctrans_config(n_features = 600, gene_order = "chromosome", gene_positions = "human")
  cfg$features <- scLM:::select_features(p$counts, cfg)
  ordered <- scLM:::order_vocabulary(cfg, list(p$counts))
  expect_setequal(ordered$features, cfg$features)
  pos <- cfg$gene_positions[match(ordered$features, cfg$gene_positions$gene), ]
  placed <- !is.na(pos$gene)
  expect_gt(mean(placed), 0.9)
  chrom <- match(pos$chrom[placed], c(1:22, "X", "Y", "MT"))
  expect_false(is.unsorted(chrom))
  same <- diff(chrom) == 0
  expect_true(all(diff(pos$start[placed])[same] >= 0))
  expect_true(all(!placed[seq_len(sum(placed))]) == FALSE && !is.unsorted(!placed))  # unplaced genes last
  # a vocabulary from a trained model keeps its order
  expect_identical(scLM:::order_vocabulary(ordered, list(p$counts[, 1:50]))$features, ordered$features)
})

test_that("the co-expression order puts correlated genes next to each other on real cells", {
  p <- pbmc3k()
  cfg <- sctrans_config(n_features = 600, gene_order = "coexpression")
  cfg$features <- scLM:::select_features(p$counts, cfg)
  ordered <- scLM:::order_vocabulary(cfg, list(p$counts))
  expect_setequal(ordered$features, cfg$features)
  x <- log1p(t(t(as.matrix(p$counts[cfg$features, ])) / Matrix::colSums(p$counts)) * 1e4)
  neighbour_cor <- function(genes) {
    r <- suppressWarnings(cor(t(x[genes, ])))
    mean(r[cbind(seq_len(length(genes) - 1L), seq_len(length(genes) - 1L) + 1L)], na.rm = TRUE)
  }
  expect_gt(neighbour_cor(ordered$features), neighbour_cor(cfg$features) + 0.05)
})

test_that("the co-expression order is average-linkage clustering of the genes' correlation", {
  p <- pbmc3k()
  counts <- p$counts[, 1:400]  # fewer than 2,000 cells: all of them are read
  cfg <- sctrans_config(n_features = 300, gene_order = "coexpression")
  cfg$features <- scLM:::select_features(counts, cfg)
  x <- log1p(t(t(as.matrix(counts[cfg$features, ])) / Matrix::colSums(counts)) * 1e4)
  r <- suppressWarnings(cor(t(x)))
  r[is.na(r)] <- 0
  by_name <- sort(cfg$features, method = "radix")  # clustered in name order
  expect_identical(scLM:::order_vocabulary(cfg, list(counts))$features,
                   by_name[hclust(as.dist(1 - r[by_name, by_name]), method = "average")$order])
})

test_that("the co-expression order reads a panel beside a whole transcriptome on one scale", {
  p <- pbmc3k()
  counts <- p$counts[, 1:400]
  panel <- rownames(counts)[seq(1, nrow(counts), by = 2)]
  cfg <- sctrans_config(n_features = 300, gene_order = "coexpression")
  cfg$features <- scLM:::select_features(counts[panel, ], cfg)
  whole <- counts[, 1:200]
  cut <- counts[panel, 201:400]
  # The panel's cells at their totals over its genes, times the share of a cell's counts those
  # genes hold (reference_shares()), as training reads them; the whole transcriptome's as they are.
  shares <- scLM:::reference_shares(list(scLM:::cell_source(whole), scLM:::cell_source(cut)))
  by_name <- sort(cfg$features, method = "radix")
  order_of <- function(held) {
    scaled <- function(m, h) log1p(t(t(as.matrix(m[by_name, ])) / Matrix::colSums(m)) * (1e4 * h))
    r <- suppressWarnings(cor(t(cbind(scaled(whole, held[1]), scaled(cut, held[2])))))
    r[is.na(r)] <- 0
    by_name[hclust(as.dist(1 - r), method = "average")$order]
  }
  ordered <- scLM:::order_vocabulary(cfg, list(whole, cut))$features
  expect_identical(ordered, order_of(c(sum(shares[rownames(whole)]), sum(shares[panel]))))
  expect_lt(sum(shares[panel]), 0.8)
  # each cell at its own total, the panel's genes would all seem to co-vary: another order
  expect_false(identical(ordered, order_of(c(1, 1))))
})

test_that("a fine-tuned model does not depend on the order of the reference's rows", {
  p <- pbmc3k()
  train <- small_split()$train
  counts <- p$counts[, train]
  shuffled <- counts[with_seed(5, sample(nrow(counts))), ]
  fit <- function(x) finetune(sctrans_config(n_features = 600, dim = 32), x, p$cell_type[train], epochs = 2,
                              n_models = 2, seed = 1, verbose = FALSE)
  a <- fit(counts)
  b <- fit(shuffled)
  expect_identical(b$features, a$features)
  expect_identical(annotate_cells(b, query_counts(100), verbose = FALSE)$probabilities,
                   annotate_cells(a, query_counts(100), verbose = FALSE)$probabilities)
})

test_that("the co-accessibility order puts peak islands open together next to each other", {
  a <- granja_atac()
  cfg <- sctrans_config(modality = "atac", n_features = 1000, scales = c(128, 256), gene_order = "coexpression")
  data <- scLM:::fit_vocabulary(cfg, list(scLM:::as_cell_source(a$counts)), list(a$counts), NULL, 1L, FALSE, check = FALSE)
  islands <- scLM:::source_cells(data$sources[[1]], seq_len(ncol(a$counts)))
  expect_identical(rownames(islands), data$config$features)  # mapped in the order chosen
  expect_identical(data$maps[[1]], seq_along(data$config$features) - 1L)
  bins <- scLM:::parse_islands(data$config$features, cfg$island_size)
  genome <- data$config$features[order(bins$chrom, bins$bin)]
  x <- log1p(t(t(as.matrix(islands)) / pmax(Matrix::colSums(islands), 1)) * 1e4)
  neighbour_cor <- function(features) {
    r <- suppressWarnings(cor(t(x[features, ])))
    mean(r[cbind(seq_len(length(features) - 1L), seq_len(length(features) - 1L) + 1L)], na.rm = TRUE)
  }
  expect_gt(neighbour_cor(data$config$features), neighbour_cor(genome) + 0.05)
})

test_that("a model of co-accessibility-ordered islands annotates held-out cells", {
  skip_on_cran()
  a <- granja_atac(); test <- atac_test_cells(); train <- setdiff(seq_len(ncol(a$counts)), test)
  model <- finetune(sctrans_config(modality = "atac", gene_order = "coexpression"), a$counts[, train],
                    a$cell_type[train], seed = 1, verbose = FALSE)
  bins <- scLM:::parse_islands(model$features, model$config$island_size)
  expect_true(is.unsorted(order(match(bins$chrom, unique(bins$chrom)), bins$bin)))  # not genome order
  expect_gt(mean(annotate_cells(model, a$counts[, test], verbose = FALSE)$labels == a$cell_type[test]), 0.6)
})
