# Host adapters for Seurat 4 and 5, and Signac's ChromatinAssay (R/host_seurat.R).

test_that("a Seurat object is read from its assay and layer and written to meta.data, an assay and a DimReduc", {
  skip_if_no_seurat()
  m <- query_counts(5)
  so <- suppressWarnings(SeuratObject::CreateSeuratObject(m))
  expect_equal(scLM:::host_counts(so), m)
  expect_error(scLM:::host_counts(so, assay = "ADT"), "`assay` \"ADT\" is not an assay of `x`")
  expect_error(scLM:::host_counts(so, layer = "spliced"), "`layer` \"spliced\" is not a layer")
  expect_true("nCount_RNA" %in% names(scLM:::host_cell_data(so)))
  expect_null(scLM:::host_peak_ranges(so))
  probs <- matrix(0.5, 5, 2, dimnames = list(colnames(m), c("T_cell", "B")))
  result <- S4Vectors::DataFrame(labels = rep("B", 5), max.prob = rep(0.5, 5), row.names = colnames(m))
  result$probabilities <- probs
  out <- scLM:::host_add_annotation(so, result, list(model_id = "id"), "scLM_")
  expect_identical(unname(out$scLM_labels), rep("B", 5))
  expect_identical(rownames(out[["scLM_prob"]]), c("T-cell", "B"))  # Seurat feature names take no "_"
  expect_identical(SeuratObject::Misc(out, "scLM")$model_id, "id")
  expect_identical(scLM:::host_annotation(out, "scLM_")$max.prob, rep(0.5, 5))
  embedding <- matrix(seq_len(10), 5, 2, dimnames = list(colnames(m), NULL))
  out <- scLM:::host_add_embedding(out, embedding, "id", "scLM")
  expect_equal(unname(scLM:::host_embedding(out, "scLM")), unname(embedding))
  expect_error(scLM:::host_embedding(so, "umap"), "no reduction \"umap\"")
})

test_that("re-annotating a Seurat object is quiet and keeps each prefix's info apart", {
  skip_if_no_seurat()
  so <- suppressWarnings(SeuratObject::CreateSeuratObject(query_counts(20)))
  once <- annotate_cells(small_model(), so, verbose = FALSE)
  expect_silent(twice <- annotate_cells(small_model(), once, verbose = FALSE))
  other <- annotate_cells(small_model(), twice, prefix = "other_", verbose = FALSE)
  expect_identical(SeuratObject::Misc(other, "scLM")$model_id, small_model()$id)
  expect_identical(SeuratObject::Misc(other, "other")$model_id, small_model()$id)
  # a label's probability is found under probability_features()
  label <- small_model()$labels[1]
  fetched <- SeuratObject::FetchData(other, paste0("scLMprob_", probability_features(label)))
  expect_equal(fetched[[1]], unname(annotate_cells(small_model(), query_counts(20), verbose = FALSE)$probabilities[, label]))
})

test_that("scale.data is refused before any gene mapping", {
  skip_if_no_seurat()
  so <- suppressWarnings(SeuratObject::CreateSeuratObject(query_counts(20)))
  expect_error(scLM:::host_counts(so, layer = "scale.data"), "scaled values.*layer = \"data\"")
})
