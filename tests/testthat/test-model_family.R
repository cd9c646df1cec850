# Model families (R/model_family.R): told apart by the config's class, which models saved by
# older versions (config of class "scLM_config" only) get on load; a query block as the engine
# reads it (read_rows()), and as a model trained on thinned cells reads it (averaged_input()).

test_that("a config's class names its model family", {
  expect_identical(class(scLMConfig()), "scLM_config")
  expect_identical(class(scbert_config(n_features = 2000)), "scLM_config")
  expect_identical(class(sctrans_config(n_features = 600)), c("scLM_sctrans_config", "scLM_config"))
  expect_identical(class(annatac_config()), c("scLM_atac_config", "scLM_config"))
  expect_identical(class(scLMConfig(modality = "atac", tokenizer = "counts")), c("scLM_atac_config", "scLM_config"))
  expect_identical(class(sctrans_model()$config), c("scLM_sctrans_config", "scLM_config"))
})

test_that("models saved before configs had a family class load with their family's class", {
  shipped <- pretrained_model("human_rna_small")  # written by an earlier scLM
  expect_identical(class(shipped$config), "scLM_config")
  old <- sctrans_model()
  class(old$config) <- "scLM_config"  # as scLM wrote SCTrans configs before
  path <- tempfile(fileext = ".scLM")
  save_model(old, path)
  loaded <- load_model(path)
  expect_identical(class(loaded$config), c("scLM_sctrans_config", "scLM_config"))
  q <- query_counts(40)
  expect_identical(annotate_cells(loaded, q, verbose = FALSE)$probabilities,
                   annotate_cells(sctrans_model(), q, verbose = FALSE)$probabilities)
  expect_error(attention_scores(loaded, q, verbose = FALSE), "sub-vectors, not single genes")
})

test_that("each family says what its models cannot do and what to use instead", {
  q <- query_counts(10)
  expect_error(salient_features(small_model(), q, verbose = FALSE), "needs an SCTrans model.*attention_scores")
  expect_error(attention_scores(sctrans_model(), q, verbose = FALSE), "sub-vectors.*salient_features")
  expect_error(embed_cells(sctrans_model(), q, pooling = "cls", verbose = FALSE), "no CLS token.*Leave `pooling` out")
  expect_identical(scLM:::family_defaults(scLMConfig())$token_dropout, 0.5)
  expect_identical(scLM:::family_defaults(sctrans_config(n_features = 600))$token_dropout, 0.1)
  expect_identical(scLM:::family_defaults(sctrans_config(modality = "atac"))$token_dropout, 0.3)
  expect_identical(scLM:::family_defaults(sctrans_config(modality = "atac"))$class_weights, "balanced")
  expect_identical(vapply(list(scLMConfig(), sctrans_config(n_features = 600), sctrans_config(modality = "atac"), annatac_config()),
                          function(cfg) scLM:::family_defaults(cfg)$match_levels, logical(1)), c(FALSE, TRUE, FALSE, FALSE))
  expect_identical(vapply(list(scLMConfig(), sctrans_config(n_features = 600), annatac_config(), sctrans_config(modality = "atac")),
                          function(cfg) scLM:::family_defaults(cfg)$n_models, 1L), c(1L, 3L, 1L, 3L))
  expect_identical(scLM:::family_defaults(annatac_config())$mask_fraction, 0.15)
  # The calibrated unknown-type score by modality.
  expect_identical(vapply(list(scLMConfig(), sctrans_config(n_features = 600), annatac_config(), sctrans_config(modality = "atac")),
                          function(cfg) scLM:::family_defaults(cfg)$unknown_method, ""), c("knn", "knn", "energy", "energy"))
})

test_that("families describe their vocabulary and tokens", {
  expect_output(print(scLMConfig()), "tokens \\(bins\\): top 256 genes of 2000 most variable genes \\(vst\\)")
  expect_output(print(annatac_config()), "tokens \\(counts\\): top 2048 islands of 20000 most open 5 kb peak islands")
  expect_output(print(sctrans_config(n_features = 600)), "600 genes: 20 markers per class \\(fine-tuned on labels\\), then the most variable \\(vst\\) in co-expression order")
  expect_output(print(sctrans_config(n_features = 600, gene_order = "vocabulary")), "in vocabulary order")
  expect_identical(scLM:::vocabulary_unit(annatac_config()), "5 kb peak islands")
  expect_identical(scLM:::vocabulary_unit(scLMConfig()), "genes")
})

test_that("read_rows() keeps the vocabulary rows, each cell's total and which cells it reads, and the engine reads the same", {
  q <- query_counts(60)
  run <- scLM:::run_settings(256L, 1L, "cpu", "fp32")
  for (model in list(small_model(), sctrans_model())) {
    mapping <- scLM:::map_query(model$config, q, scLM:::cell_source(q), NULL, 0.25, FALSE,
                                learnt = model$reference_features)
    read <- mapping$index >= 0L
    expect_lt(sum(read), nrow(q) / 2)
    block <- scLM:::read_rows(mapping, q)
    expect_identical(block$index, c(mapping$index[read], -1L))
    expect_equal(as.matrix(block$counts[seq_len(sum(read)), ]), as.matrix(q[read, ]), ignore_attr = TRUE)
    expect_identical(Matrix::colSums(block$counts), Matrix::colSums(q))  # whole counts sum exactly
    expect_identical(block$readable, cells_with_features(q, read))
    classify <- function(counts, index) {
      scLM:::engine_classify(model$weights, model$config, length(model$labels), counts, index, run, FALSE)$logits
    }
    expect_identical(classify(block$counts, block$index), classify(q, mapping$index))
  }
})

test_that("a model trained on thinned cells reads each query cell at the average of its thinned copies", {
  q <- query_counts(60)
  # A pure-R reference: a count c of a cell of total T reads as the mean, over keep p (16 points of
  # the log-uniform on [0.5, 1]) and kept ~ Binomial(c, p), of log1p(kept s / p), s = 10,000 / T
  # (above 32 counts a second-order expansion).
  reference <- function(m, strength = 0.5) {
    p <- exp(log1p(-strength) * (seq_len(16) - 0.5) / 16)
    s <- rep(1e4 / Matrix::colSums(m), diff(m@p))
    vapply(seq_along(m@x), function(k) {
      c <- m@x[k]
      level <- mean(vapply(p, function(pp) {
        if (c > 32) return(log1p(s[k] * c) - s[k]^2 * c * (1 - pp) / (2 * pp * (1 + s[k] * c)^2))
        sum(stats::dbinom(seq_len(c), c, pp) * log1p(seq_len(c) * s[k] / pp))
      }, numeric(1)))
      expm1(level) / s[k]
    }, numeric(1))
  }
  averaged <- scLM:::engine_thinned_average(q, 0.5, 1e4)
  expect_identical(dim(averaged), dim(q) + c(1L, 0L))
  kept <- averaged[seq_len(nrow(q)), ]
  expect_identical(kept@i, q@i)
  expect_equal(kept@x, reference(q), tolerance = 1e-10)
  expect_true(all(kept@x <= q@x))
  expect_equal(Matrix::colSums(averaged), Matrix::colSums(q), tolerance = 1e-12)  # the last row holds what was lost
  # Values that are not counts (log-normalised input undone) are read as they are.
  undone <- q
  undone@x <- undone@x * 1.37
  as_read <- scLM:::engine_thinned_average(undone, 0.5, 1e4)
  expect_identical(as_read@x, undone@x)
  expect_identical(as_read@i, undone@i)

  # annotate_cells() and embed_cells() read the averaged cells; with finetune(downsample = 0), the cells as they are.
  model <- sctrans_model()
  expect_identical(model$training$downsample, 0.5)
  plain <- model
  plain$training$downsample <- 0
  plain$reference_shares <- NULL  # "lost" is no reference gene: read each cell's total over every row
  rownames(averaged) <- c(rownames(q), "lost")  # not counts: annotate_cells() warns, and reads them
  expect_equal(annotate_cells(model, q, match_levels = FALSE, verbose = FALSE)$probabilities,
               suppressWarnings(annotate_cells(plain, averaged, match_levels = FALSE, verbose = FALSE))$probabilities,
               tolerance = 1e-5)
  expect_false(isTRUE(all.equal(annotate_cells(model, q, verbose = FALSE)$probabilities,
                                annotate_cells(plain, q, verbose = FALSE)$probabilities)))
  expect_equal(embed_cells(model, q, verbose = FALSE), suppressWarnings(embed_cells(plain, averaged, verbose = FALSE)),
               tolerance = 1e-5)
})
