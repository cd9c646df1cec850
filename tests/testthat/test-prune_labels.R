test_that("prune_labels re-thresholds without re-running the model", {
  res <- annotate_cells(small_model(), query_counts(80), verbose = FALSE)
  strict <- prune_labels(res, threshold = 0.95, unknown = NA)
  expect_identical(is.na(strict$pruned.labels), res$max.prob < 0.95)
  expect_identical(prune_labels(res, 0)$pruned.labels, res$labels)
  expect_identical(res$probabilities, strict$probabilities)
  expect_error(prune_labels(res, threshold = -1), "threshold")
  expect_error(prune_labels(S4Vectors::DataFrame(a = 1), 0.5), "annotate_cells")
})

test_that("prune_labels updates SingleCellExperiment and Seurat annotations", {
  skip_if_no_sce()
  sce <- annotate_cells(small_model(), SingleCellExperiment::SingleCellExperiment(list(counts = query_counts(30))),
                        verbose = FALSE)
  sce <- prune_labels(sce, 1)
  expect_true(all(sce$scLM_pruned.labels == "Unknown"))
  expect_error(prune_labels(sce, 0.5, prefix = "other_"), "no scLM annotation")
  skip_if_no_seurat()
  so <- annotate_cells(small_model(), suppressWarnings(SeuratObject::CreateSeuratObject(query_counts(30))),
                       verbose = FALSE)
  so <- prune_labels(so, 0)
  expect_identical(unname(so$scLM_pruned.labels), unname(so$scLM_labels))
})
