test_that("sctrans_config() describes multi-scale sub-vectors and checks its settings", {
  cfg <- sctrans_config(n_features = 600)
  expect_s3_class(cfg, "scLM_config")
  expect_equal(cfg$subvectors$scales, c(16L, 32L, 64L))
  expect_output(print(cfg), "16/32/64-gene sub-vectors")
  expect_output(print(cfg), "SCTrans")
  expect_error(sctrans_config(scales = c(16, 24, 64)), "divide the largest")
  expect_error(sctrans_config(scales = c(16, 16)), "distinct")
  expect_error(sctrans_config(n_features = 100, scales = c(32, 64)), "at most half")
  expect_error(sctrans_config(gene_order = "chromosome"), "gene_positions")
  expect_error(sctrans_config(gene_positions = "human"), "chromosome")
  expect_error(sctrans_config(attention = "linformer"), "attention")
  expect_error(sctrans_config(keep_share = 1.5), "keep_share")
  expect_error(sctrans_config(gene_order = "chromosome", gene_positions = data.frame(a = 1)), "gene_positions")
})

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

test_that("an SCTrans classifier annotates held-out real cells, embeds them and survives save/load", {
  model <- sctrans_model()
  expect_output(print(model), "sub-vectors")
  expect_equal(model$training$objective, "classification")
  res <- annotate_cells(model, query_counts(300), verbose = FALSE)
  expect_gt(mean(res$labels == query_labels(300)), 0.5)  # 9 types; measured 0.86 (LC_COLLATE=C; 0.85 otherwise)
  emb <- embed_cells(model, query_counts(20), verbose = FALSE)
  expect_equal(dim(emb), c(20, 3 * model$config$dim))
  expect_error(embed_cells(model, query_counts(5), pooling = "cls", verbose = FALSE), "pooling")
  expect_error(attention_scores(model, query_counts(5), verbose = FALSE), "salient_features")
  file <- tempfile(fileext = ".scLM")
  on.exit(unlink(file))
  save_model(model, file)
  again <- load_model(file)
  expect_equal(again$config$subvectors, model$config$subvectors)
  expect_identical(again$features, model$features)
  expect_equal(annotate_cells(again, query_counts(50), verbose = FALSE)$max.prob,
               annotate_cells(model, query_counts(50), verbose = FALSE)$max.prob, tolerance = 1e-6)
})

test_that("masked sub-vector completion on real cells improves the reconstruction and starts fine-tuning", {
  p <- pbmc3k()
  cells <- seq(1, ncol(p$counts), by = 3)
  encoder <- pretrain(p$counts[, cells], sctrans_config(n_features = 600), epochs = 5, validation_fraction = 0.1,
                      seed = 2, verbose = FALSE)
  expect_length(encoder$labels, 0)
  expect_equal(encoder$training$masking$mask_fraction, 0.75)
  expect_lt(tail(encoder$history$val_loss, 1), 0.9 * encoder$history$val_loss[1])  # measured 0.83
  expect_true(all(is.nan(encoder$history$train_accuracy)))
  expect_output(print(encoder), "masked sub-vector")
  expect_error(pretrain(p$counts[, 1:50], sctrans_config(n_features = 600), contrastive_weight = 1, verbose = FALSE),
               "contrastive_weight")
  s <- small_split()
  tuned <- finetune(encoder, p$counts[, s$train], p$cell_type[s$train], epochs = 2, verbose = FALSE)
  expect_true(tuned$training$pretrained)
  expect_identical(tuned$features, encoder$features)
  expect_equal(dim(embed_cells(encoder, query_counts(10), verbose = FALSE)), c(10, 3 * encoder$config$dim))
})
