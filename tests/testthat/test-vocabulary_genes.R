# The gene vocabulary (R/vocabulary_genes.R): highly variable genes and mapping a query's genes by name.

test_that("genes are matched by name: missing genes are reported, none shared is an error", {
  q <- query_counts(40)
  shuffled <- q[rev(seq_len(nrow(q))), ]
  expect_equal(annotate_cells(small_model(), shuffled, verbose = FALSE)$probabilities,
               annotate_cells(small_model(), q, verbose = FALSE)$probabilities, tolerance = 1e-5)
  keep <- !rownames(q) %in% small_model()$features[1:200]
  expect_warning(res <- annotate_cells(small_model(), q[keep, ], verbose = FALSE), "66.7%")
  expect_length(attr(res, "feature_mapping")$missing, 200)
  renamed <- q; rownames(renamed) <- paste0("ENSG", seq_len(nrow(q)))
  expect_error(annotate_cells(small_model(), renamed, verbose = FALSE), "None of the 600 model genes")
  few <- q[rownames(q) %in% small_model()$features[1:50] | !rownames(q) %in% small_model()$features, ]
  expect_error(annotate_cells(small_model(), few, verbose = FALSE), "at least 25%")
})
