test_that("a saved model loads back identical and predicts the same", {
  path <- tempfile(fileext = ".scLM")
  expect_identical(save_model(small_model(), path), path)
  loaded <- load_model(path)
  expect_identical(loaded$weights, small_model()$weights)
  expect_identical(loaded$features, small_model()$features)
  expect_identical(loaded$labels, small_model()$labels)
  expect_identical(loaded$versions, small_model()$versions)
  q <- query_counts(30)
  expect_identical(annotate_cells(loaded, q, verbose = FALSE)$probabilities,
                   annotate_cells(small_model(), q, verbose = FALSE)$probabilities)
  expect_error(save_model(small_model(), file.path(tempdir(), "no", "such", "dir.scLM")), "does not exist")
  expect_error(save_model(list(), path), "scLM_model")
})
