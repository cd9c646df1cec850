test_that("sctrans_config() describes multi-scale sub-vectors and checks its settings", {
  cfg <- sctrans_config(n_features = 600)
  expect_s3_class(cfg, "scLM_config")
  expect_equal(cfg$subvectors$scales, c(32L, 64L))
  expect_output(print(cfg), "32/64-gene sub-vectors")
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

test_that("an SCTrans classifier annotates held-out real cells, embeds them and survives save/load", {
  model <- sctrans_model()
  expect_output(print(model), "sub-vectors")
  expect_equal(model$training$objective, "classification")
  res <- annotate_cells(model, query_counts(300), verbose = FALSE)
  expect_gt(mean(res$labels == query_labels(300)), 0.5)  # 9 types; measured 0.86 (LC_COLLATE=C; 0.85 otherwise)
  emb <- embed_cells(model, query_counts(20), verbose = FALSE)
  expect_equal(dim(emb), c(20, length(model$config$subvectors$scales) * model$config$dim))
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
  s <- small_split()
  tuned <- finetune(encoder, p$counts[, s$train], p$cell_type[s$train], epochs = 2, verbose = FALSE)
  expect_true(tuned$training$pretrained)
  expect_identical(tuned$features, encoder$features)
  expect_equal(dim(embed_cells(encoder, query_counts(10), verbose = FALSE)), c(10, length(encoder$config$subvectors$scales) * encoder$config$dim))
})

test_that("SCTrans pretraining takes a contrastive term, deterministic with the seed", {
  p <- pbmc3k()
  cells <- seq(2, ncol(p$counts), by = 8)
  fit <- function(weight, seed = 1) {
    pretrain(p$counts[, cells], sctrans_config(n_features = 600), epochs = 2, contrastive_weight = weight,
             seed = seed, verbose = FALSE)
  }
  contrastive <- fit(1)
  expect_output(print(contrastive), "masked sub-vector \\+ contrastive")
  q <- query_counts(20)
  e <- embed_cells(contrastive, q, verbose = FALSE)
  expect_identical(e, embed_cells(fit(1), q, verbose = FALSE))
  expect_false(isTRUE(all.equal(e, embed_cells(fit(0), q, verbose = FALSE))))
  expect_false(isTRUE(all.equal(e, embed_cells(fit(1, seed = 2), q, verbose = FALSE))))
  # (that the term brings two halves of a cell together is the core's test, test_sctrans.cpp)
})

test_that("on scATAC peaks SCTrans cuts genome-ordered peak islands into sub-vectors", {
  cfg <- sctrans_config(modality = "atac")
  expect_identical(class(cfg), c("scLM_sctrans_config", "scLM_atac_config", "scLM_config"))
  expect_equal(cfg$subvectors$scales, c(128L, 256L))
  expect_equal(cfg$n_features, 10000L)
  expect_output(print(cfg), "10000 most open 5 kb peak islands in genome order, cut into 128/256-island sub-vectors")
  expect_identical(cfg$gene_order, "vocabulary")  # genes default to co-expression, islands keep genome order
  expect_identical(sctrans_config()$gene_order, "coexpression")
  expect_error(sctrans_config(modality = "atac", gene_order = "coexpression"), "genome order")
  expect_error(sctrans_config(tss = data.frame(chrom = "chr1", position = 1)), "scATAC peak islands only")
})

test_that("SCTrans on peak islands annotates held-out cells, whose peaks may differ", {
  skip_on_cran()
  a <- granja_atac(); test <- atac_test_cells(); train <- setdiff(seq_len(ncol(a$counts)), test)
  model <- finetune(sctrans_config(modality = "atac"), a$counts[, train], a$cell_type[train], seed = 1, verbose = FALSE)
  expect_identical(class(model$config), c("scLM_sctrans_config", "scLM_atac_config", "scLM_config"))
  expect_identical(model$modality, "ATAC")
  expect_output(print(model), "128/256-island sub-vectors in genome order")
  expect_true(all(grepl("^chr[0-9XY]+-[0-9]+-[0-9]+$", model$features)))
  islands <- scLM:::parse_islands(model$features, model$config$island_size)
  expect_false(is.unsorted(order(match(islands$chrom, unique(islands$chrom)), islands$bin)))  # genome order
  pred <- annotate_cells(model, a$counts[, test], verbose = FALSE)
  expect_gt(mean(pred$labels == a$cell_type[test]), 0.6)  # 6 types; measured 0.72
  # The same cells with every peak shifted by 100 bp fall into the same islands.
  shifted <- a$counts[, test]
  rownames(shifted) <- shifted_peaks(rownames(shifted), 100L)
  expect_gt(mean(annotate_cells(model, shifted, verbose = FALSE)$labels == pred$labels), 0.95)
  file <- tempfile(fileext = ".scLM")
  on.exit(unlink(file))
  save_model(model, file)
  again <- load_model(file)
  expect_identical(class(again$config), class(model$config))
  expect_equal(annotate_cells(again, a$counts[, test], verbose = FALSE)$max.prob, pred$max.prob, tolerance = 1e-6)
})
