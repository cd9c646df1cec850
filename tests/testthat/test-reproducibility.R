# Same seed, same results on CPU: across two training runs, and across a save/load round trip.
test_that("two runs with the same seed give identical predictions and embeddings", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[seq(1, length(s$train), by = 2)]
  q <- query_counts(60)
  run <- function() {
    model <- finetune(tiny_config(), p$counts[, idx], p$cell_type[idx], epochs = 3, seed = 11, device = "cpu",
                      verbose = FALSE)
    list(weights = model$weights, annotation = annotate_cells(model, q, verbose = FALSE),
         embedding = embed_cells(model, q, verbose = FALSE),
         attention = attention_scores(model, q, verbose = FALSE))
  }
  a <- run(); b <- run()
  expect_identical(a$weights, b$weights)
  expect_identical(a$annotation, b$annotation)
  expect_identical(a$embedding, b$embedding)
  expect_identical(a$attention, b$attention)
})

test_that("pretraining and scATAC training with the same seed are identical too", {
  cells <- pbmc3k()$counts[, 1:300]
  enc <- function() pretrain(cells, tiny_config(), epochs = 2, seed = 4, verbose = FALSE)$encoder_weights
  expect_identical(enc(), enc())
  a <- granja_atac(); idx <- seq(1, ncol(a$counts), by = 3)
  atac <- function() {
    model <- finetune(annatac_config(n_layers = 1), a$counts[, idx], a$cell_type[idx], epochs = 2, seed = 9,
                      verbose = FALSE)
    list(model$weights, embed_cells(model, a$counts[, 2:40], verbose = FALSE))
  }
  expect_identical(atac(), atac())
})

test_that("a save/load round trip changes no prediction, embedding or attention score", {
  model <- small_model(); q <- query_counts(60)
  path <- tempfile(fileext = ".scLM"); save_model(model, path)
  loaded <- load_model(path)
  expect_identical(unclass(loaded), unclass(model))
  expect_identical(annotate_cells(loaded, q, verbose = FALSE), annotate_cells(model, q, verbose = FALSE))
  expect_identical(embed_cells(loaded, q, verbose = FALSE), embed_cells(model, q, verbose = FALSE))
  expect_identical(attention_scores(loaded, q, verbose = FALSE), attention_scores(model, q, verbose = FALSE))
  atac <- atac_model(); path <- tempfile(fileext = ".scLM"); save_model(atac, path)
  cells <- granja_atac()$counts[, atac_test_cells()]
  expect_identical(annotate_cells(load_model(path), cells, verbose = FALSE)$probabilities,
                   annotate_cells(atac, cells, verbose = FALSE)$probabilities)
})
