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
