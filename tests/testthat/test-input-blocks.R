# On-disk / DelayedArray input is read in blocks of cells; results equal the in-memory path.
test_that("DelayedArray input is streamed in blocks with identical results", {
  skip_if_not_installed("DelayedArray")
  q <- query_counts(70)
  d <- DelayedArray::DelayedArray(q)
  old <- options(scLM.block_cells = 25L)
  on.exit(options(old))
  a <- annotate_cells(small_model(), d, verbose = FALSE)
  b <- annotate_cells(small_model(), q, verbose = FALSE)
  expect_identical(rownames(a), colnames(q))
  expect_equal(a$probabilities, b$probabilities, tolerance = 1e-6)
  expect_equal(embed_cells(small_model(), d, verbose = FALSE), embed_cells(small_model(), q, verbose = FALSE),
               tolerance = 1e-6)
  expect_equal(attention_scores(small_model(), d, verbose = FALSE),
               attention_scores(small_model(), q, verbose = FALSE), tolerance = 1e-6)
  bad <- q; bad[, 60] <- 0; bad <- Matrix::drop0(bad)
  expect_error(annotate_cells(small_model(), DelayedArray::DelayedArray(bad), verbose = FALSE), "no counts")
})
