test_that("embed_cells returns cell embeddings in each host's convention", {
  q <- query_counts(40)
  emb <- embed_cells(small_model(), q, verbose = FALSE)
  expect_equal(dim(emb), c(40, 2 * small_model()$config$dim))
  expect_identical(rownames(emb), colnames(q))
  expect_true(all(is.finite(emb)))
  expect_equal(embed_cells(small_model(), q, batch_size = 3, verbose = FALSE), emb, tolerance = 1e-5)
  skip_if_no_sce()
  sce <- embed_cells(small_model(), SingleCellExperiment::SingleCellExperiment(list(counts = q)), verbose = FALSE)
  expect_equal(unname(SingleCellExperiment::reducedDim(sce, "scLM")), unname(emb), tolerance = 1e-6)
  skip_if_no_seurat()
  so <- embed_cells(small_model(), suppressWarnings(SeuratObject::CreateSeuratObject(q)), verbose = FALSE)
  expect_equal(unname(SeuratObject::Embeddings(so, "scLM")), unname(emb), tolerance = 1e-6)
  expect_identical(SeuratObject::Misc(so[["scLM"]])$model_id, small_model()$id)
})

test_that("pooling picks the CLS state, the mean of gene states, or both", {
  q <- query_counts(10)
  both <- embed_cells(small_model(), q, verbose = FALSE)
  d <- small_model()$config$dim
  expect_equal(unname(embed_cells(small_model(), q, pooling = "cls", verbose = FALSE)), unname(both[, 1:d]))
  expect_equal(unname(embed_cells(small_model(), q, pooling = "mean", verbose = FALSE)), unname(both[, d + 1:d]))
  expect_error(embed_cells(small_model(), q, pooling = "max", verbose = FALSE), "pooling")
})
