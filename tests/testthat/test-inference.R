# Inference shared by the inference verbs (R/inference.R): run settings, one feature mapping,
# the engine run block by block and the blocks joined in cell order.

test_that("inference maps features once and runs the engine block by block in cell order", {
  q <- query_counts(60)
  old <- options(scLM.block_cells = 25L)
  on.exit(options(old))
  source <- scLM:::cell_source(as.matrix(q))  # dense input: read in 3 blocks
  run <- scLM:::run_settings(256L, 1L, "cpu", "fp32")
  sizes <- integer(0)
  out <- scLM:::run_on_cells(small_model(), q, source, NULL, scLM:::engine_embed, small_model()$encoder_weights, run,
                             min_overlap = 0.25, verbose = FALSE,
                             per_block = function(result, counts, index) { sizes <<- c(sizes, ncol(counts)); result })
  expect_identical(sizes, c(25L, 25L, 10L))
  expect_identical(source$state$checks, 3L)
  expect_s3_class(out$mapping, "scLM_feature_report")
  expect_equal(out$result, embed_cells(small_model(), q, num_threads = 1, verbose = FALSE), tolerance = 1e-6,
               ignore_attr = TRUE)
  expect_error(scLM:::run_settings(0L, 1L, "cpu", "fp32"), "`batch_size` must be a whole number")
})

test_that("cells_with_features() agrees with a pure-R reference on real counts", {
  m <- query_counts(200)
  m[, 5] <- 0
  m <- Matrix::drop0(m)
  m@x[1:20] <- 0  # stored zeros do not count
  rows <- with_seed(3, runif(nrow(m)) < 0.05)
  reference <- Matrix::colSums(m[rows, , drop = FALSE] != 0) > 0
  expect_identical(cells_with_features(m, rows), unname(reference))
  expect_false(cells_with_features(m, rows)[5])
})
