test_that("plot_embedding lays out real cells so that cells of a type stay together", {
  q <- query_counts(200)
  truth <- query_labels(200)
  emb <- embed_cells(small_model(), q, verbose = FALSE)
  seed_before <- .Random.seed
  p <- plot_embedding(emb, color_by = truth)
  expect_identical(.Random.seed, seed_before)  # the user's random stream is untouched
  expect_s3_class(p, "ggplot")
  expect_named(p$data, c("UMAP1", "UMAP2", "color"))
  expect_identical(rownames(p$data), colnames(q))
  expect_identical(as.character(p$data$color), truth)
  # Nearest neighbours in the 2-d layout mostly share the label (chance level here is ~0.3).
  layout <- as.matrix(p$data[, c("UMAP1", "UMAP2")])
  d <- as.matrix(stats::dist(layout)); diag(d) <- Inf
  expect_gt(mean(truth[apply(d, 1, which.min)] == truth), 0.6)
  expect_silent(ggplot2::ggplot_build(p))
  expect_identical(plot_embedding(emb, color_by = truth)$data, p$data)  # same seed, same layout
  expect_false(identical(plot_embedding(emb, seed = 2)$data$UMAP1, p$data$UMAP1))
})

test_that("plot_embedding reads reductions and metadata columns of Seurat and SCE objects", {
  q <- query_counts(60)
  skip_if_no_sce()
  sce <- SingleCellExperiment::SingleCellExperiment(list(counts = q))
  sce$cell_type <- query_labels(60)
  sce <- embed_cells(small_model(), sce, verbose = FALSE)
  p <- plot_embedding(sce, color_by = "cell_type", label = TRUE)
  expect_identical(as.character(p$data$color), query_labels(60))
  expect_equal(p$labels$colour, "cell_type")
  expect_error(plot_embedding(sce, reduction = "UMAP"), "embed_cells")
  expect_error(plot_embedding(sce, color_by = "nope"), "not a cell metadata column")
  skip_if_no_seurat()
  so <- suppressWarnings(SeuratObject::CreateSeuratObject(q))
  so <- embed_cells(small_model(), so, verbose = FALSE)
  p2 <- plot_embedding(so, color_by = so$nCount_RNA)
  expect_type(p2$data$color, "double")  # numbers are coloured on a continuous scale
  expect_silent(ggplot2::ggplot_build(p2))
})

test_that("plot_embedding draws a 2-column embedding as it is and rejects what it cannot draw", {
  xy <- matrix(c(1, 2, 3, 4, 5, 6, 7, 8), ncol = 2, dimnames = list(paste0("c", 1:4), NULL))
  expect_equal(unname(as.matrix(plot_embedding(xy)$data[, 1:2])), unname(xy))
  expect_error(plot_embedding(xy, color_by = 1:3), "one value per cell")
  expect_error(plot_embedding(xy[1:2, ]), "at least 3")
  expect_error(plot_embedding(query_counts(5)), "embed_cells")
  expect_error(plot_embedding(matrix(NA_real_, 4, 2)), "finite")
})
