test_that("sctrans_config() describes multi-scale sub-vectors and checks its settings", {
  cfg <- sctrans_config(n_features = 600)
  expect_s3_class(cfg, "scLM_config")
  expect_equal(cfg$subvectors$scales, c(128L, 256L))
  expect_output(print(cfg), "128/256-gene sub-vectors")
  # default scales halve until the larger is at most half of the vocabulary
  expect_equal(sctrans_config(n_features = 500)$subvectors$scales, c(64L, 128L))
  expect_equal(sctrans_config(n_features = 100)$subvectors$scales, c(16L, 32L))
  expect_equal(sctrans_config(n_features = 1500, modality = "atac")$subvectors$scales, c(256L, 512L))
  expect_equal(sctrans_config(n_features = 10)$subvectors$scales, c(2L, 4L))
  expect_output(print(cfg), "SCTrans")
  expect_error(sctrans_config(scales = c(16, 24, 64)), "divide the largest")
  expect_error(sctrans_config(scales = c(16, 16)), "distinct")
  expect_error(sctrans_config(n_features = 100, scales = c(32, 64)), "at most half")
  expect_error(sctrans_config(light_weight = 2), "light_weight")
  expect_equal(sctrans_config(light_weight = 0.5)$subvectors$light_weight, 0.5)
  # the light classifier's share by default: a quarter for genes, none for peak islands
  expect_equal(cfg$subvectors$light_weight, 0.25)
  expect_output(print(cfg), "its classifier 25% of predictions")
  expect_equal(sctrans_config(modality = "atac")$subvectors$light_weight, 0)
  expect_equal(sctrans_config(light_weight = 0)$subvectors$light_weight, 0)
  expect_error(sctrans_config(gene_order = "chromosome"), "gene_positions")
  expect_error(sctrans_config(gene_positions = "human"), "chromosome")
  expect_error(sctrans_config(attention = "linformer"), "attention")
  expect_error(sctrans_config(keep_share = 1.5), "keep_share")
  expect_error(sctrans_config(gene_order = "chromosome", gene_positions = data.frame(a = 1)), "gene_positions")
})

test_that("predictions mix the two classifiers' logits by light_weight", {
  model <- sctrans_model()
  expect_equal(model$config$subvectors$light_weight, 0.25)
  q <- query_counts(60)
  log_p <- function(w) {
    model$config$subvectors$light_weight <- w
    # Without matching gene levels: its first pass labels with the mix too, so each w would read
    # other factors.
    log(annotate_cells(model, q, match_levels = FALSE, verbose = FALSE)$probabilities)
  }
  main <- log_p(0); light <- log_p(1); mixed <- log_p(0.25)
  expect_gt(max(abs(main - light)), 0.1)  # the two classifiers differ
  # softmax of 0.75 main + 0.25 light logits: equal to the mix of the log-probabilities up to a
  # constant per cell (on probabilities away from float underflow)
  gap <- mixed - (0.75 * main + 0.25 * light)
  gap[pmin(main, light, mixed) < log(1e-5)] <- NA
  expect_lt(max(apply(gap, 1, function(r) diff(range(r, na.rm = TRUE)))), 1e-3)
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
                      contrastive_weight = 0, seed = 2, verbose = FALSE)
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

test_that("SCTrans pretraining has a contrastive term by default, deterministic with the seed", {
  p <- pbmc3k()
  cells <- seq(2, ncol(p$counts), by = 8)
  fit <- function(...) pretrain(p$counts[, cells], sctrans_config(n_features = 600), epochs = 2, verbose = FALSE, ...)
  contrastive <- fit(seed = 1)
  expect_output(print(contrastive), "masked sub-vector \\+ contrastive")
  expect_equal(contrastive$training$masking$contrastive_weight, 1)
  q <- query_counts(20)
  e <- embed_cells(contrastive, q, verbose = FALSE)
  expect_identical(e, embed_cells(fit(contrastive_weight = 1, seed = 1), q, verbose = FALSE))
  expect_false(isTRUE(all.equal(e, embed_cells(fit(contrastive_weight = 0, seed = 1), q, verbose = FALSE))))
  expect_false(isTRUE(all.equal(e, embed_cells(fit(seed = 2), q, verbose = FALSE))))
  # (that the term brings two halves of a cell together is the core's test, test_sctrans.cpp)
})

test_that("on scATAC peaks SCTrans cuts genome-ordered peak islands into sub-vectors", {
  cfg <- sctrans_config(modality = "atac")
  expect_identical(class(cfg), c("scLM_sctrans_config", "scLM_atac_config", "scLM_config"))
  expect_equal(cfg$subvectors$scales, c(512L, 1024L))
  expect_equal(cfg$n_features, 10000L)
  expect_output(print(cfg), "10000 most open 5 kb peak islands in genome order, cut into 512/1024-island sub-vectors")
  expect_identical(cfg$gene_order, "vocabulary")  # genes default to co-expression, islands to genome order
  expect_identical(sctrans_config()$gene_order, "coexpression")
  expect_output(print(sctrans_config(modality = "atac", gene_order = "coexpression")), "islands in co-accessibility order")
  expect_error(sctrans_config(modality = "atac", gene_order = "chromosome"), "applies to genes")
  # the dense correlations of more than 10,000 features are not computed
  expect_identical(sctrans_config(n_features = 10001)$gene_order, "vocabulary")
  expect_error(sctrans_config(n_features = 10001, gene_order = "coexpression"), "at most 10000 features")
  expect_error(sctrans_config(tss = data.frame(chrom = "chr1", position = 1)), "scATAC peak islands only")
})

test_that("SCTrans on peak islands annotates held-out cells, whose peaks may differ", {
  skip_on_cran()
  a <- granja_atac(); test <- atac_test_cells(); train <- setdiff(seq_len(ncol(a$counts)), test)
  model <- finetune(sctrans_config(modality = "atac"), a$counts[, train], a$cell_type[train], seed = 1, verbose = FALSE)
  expect_identical(class(model$config), c("scLM_sctrans_config", "scLM_atac_config", "scLM_config"))
  expect_identical(model$modality, "ATAC")
  expect_output(print(model), "512/1024-island sub-vectors in genome order")
  expect_identical(model$training$n_models, 3L)  # the default ensemble for islands
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
