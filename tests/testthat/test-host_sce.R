# Host adapters for SummarizedExperiment and SingleCellExperiment (R/host_sce.R).

test_that("a SingleCellExperiment is read from its assay and written to colData and reducedDim", {
  skip_if_no_sce()
  m <- query_counts(5)
  sce <- SingleCellExperiment::SingleCellExperiment(list(counts = m, other = m * 2))
  sce$type <- letters[1:5]
  expect_identical(scLM:::host_counts(sce), m)
  expect_identical(scLM:::host_counts(sce, assay = "other"), m * 2)
  expect_error(scLM:::host_counts(sce, assay = "logcounts"), "`assay` \"logcounts\" is not an assay of `x`")
  expect_identical(scLM:::host_cell_data(sce)$type, letters[1:5])
  result <- S4Vectors::DataFrame(labels = letters[1:5], max.prob = rep(0.7, 5), row.names = colnames(m))
  out <- scLM:::host_add_annotation(sce, result, list(model_id = "id"), "p_")
  expect_identical(out$p_labels, letters[1:5])
  expect_identical(S4Vectors::metadata(out)$p$model_id, "id")  # under the prefix
  expect_identical(names(scLM:::host_annotation(out, "p_")), c("labels", "max.prob"))
  expect_null(scLM:::host_annotation(sce, "p_"))
  embedding <- matrix(seq_len(10), 5, 2, dimnames = list(colnames(m), NULL))
  out <- scLM:::host_add_embedding(sce, embedding, "id", "emb")
  expect_identical(scLM:::host_embedding(out, "emb"), embedding)
  expect_error(scLM:::host_embedding(sce, "emb"), "no reducedDim \"emb\"")
  se <- SummarizedExperiment::SummarizedExperiment(list(counts = m))
  expect_error(scLM:::host_add_embedding(se, embedding, "id", "emb"), "need a SingleCellExperiment")
})
