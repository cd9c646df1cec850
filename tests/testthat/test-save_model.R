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

test_that("an unwritable folder is named before anything is trained or written", {
  skip_if_not(file.exists("/proc/self") && file.access("/proc/self", 2L) != 0L, "no unwritable folder to test with")
  expect_error(save_model(small_model(), "/proc/self/model.scLM"), "`file`: folder .*/proc/self.* is not writable")
  started <- proc.time()[["elapsed"]]
  expect_error(finetune(tiny_config(), query_counts(40), query_labels(40), checkpoint = "/proc/self/ckpt",
                        verbose = FALSE), "`checkpoint`: folder .*/proc/self.* is not writable")
  expect_lt(proc.time()[["elapsed"]] - started, 5)
})
