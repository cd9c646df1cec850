# Host adapters for matrices and annotation DataFrames (R/host_matrix.R).

test_that("a matrix is its own counts, has no metadata, and gets results as plain objects", {
  m <- query_counts(5)
  expect_identical(scLM:::host_counts(m), m)
  expect_warning(scLM:::host_counts(m, assay = "RNA"), "`assay` and `layer` are ignored")
  expect_null(scLM:::host_cell_data(m))
  expect_null(scLM:::host_peak_ranges(m))
  result <- S4Vectors::DataFrame(labels = letters[1:5], max.prob = seq(0.5, 0.9, by = 0.1), row.names = colnames(m))
  out <- scLM:::host_add_annotation(m, result, list(feature_mapping = "report"), "scLM_")
  expect_identical(attr(out, "feature_mapping"), "report")
  expect_identical(scLM:::host_annotation(out, "scLM_")$labels, letters[1:5])  # no prefix in a DataFrame
  embedding <- matrix(1, 5, 2)
  expect_identical(scLM:::host_add_embedding(m, embedding, "id", "scLM"), embedding)
  expect_identical(scLM:::host_embedding(embedding, "scLM"), embedding)
  expect_error(scLM:::host_embedding(matrix("a", 2, 2), "scLM"), "finite numeric cells x dimensions matrix")
})
