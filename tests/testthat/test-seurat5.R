# Seurat 5 workflows (SeuratObject >= 5: Assay5 layers): run by `make test-seurat5` against the
# pinned library of tools/seurat5-packages.tsv; skipped with Debian's SeuratObject 4.
skip_if_no_seurat5 <- function() testthat::skip_if_not_installed("SeuratObject", "5.0.0")

# Query cells as an Assay5 object whose cells alternate between batches "a" and "b".
seurat5_query <- function(n = 60) {
  so <- suppressWarnings(SeuratObject::CreateSeuratObject(query_counts(n)))
  so$batch <- rep(c("a", "b"), length.out = n)
  so
}

test_that("split counts layers are read in cell order without JoinLayers", {
  skip_if_no_seurat5()
  so <- seurat5_query()
  expect_s4_class(so[["RNA"]], "Assay5")
  split <- so
  split[["RNA"]] <- split(split[["RNA"]], f = split$batch)
  expect_setequal(SeuratObject::Layers(split[["RNA"]]), c("counts.a", "counts.b"))
  whole <- annotate_cells(small_model(), so, verbose = FALSE)
  parts <- annotate_cells(small_model(), split, verbose = FALSE)
  expect_identical(parts$scLM_labels, whole$scLM_labels)
  expect_identical(parts$scLM_max.prob, whole$scLM_max.prob)
  expect_identical(colnames(parts), colnames(so))
  # one batch's layer on its own
  b <- annotate_cells(small_model(), split, layer = "counts.b", verbose = FALSE)
  expect_identical(b$scLM_labels[split$batch == "b"], whole$scLM_labels[so$batch == "b"])
  expect_error(annotate_cells(small_model(), split, layer = "spliced", verbose = FALSE), "counts.a")
})

test_that("DelayedArray-backed (e.g. HDF5) layers, split or not, are read in blocks with the in-memory results", {
  skip_if_no_seurat5()
  skip_if_not_installed("DelayedArray")
  so <- seurat5_query(70)
  on_disk <- suppressWarnings(SeuratObject::CreateSeuratObject(
    SeuratObject::CreateAssay5Object(counts = DelayedArray::DelayedArray(query_counts(70)))))
  on_disk$batch <- so$batch
  expect_s4_class(SeuratObject::LayerData(on_disk, layer = "counts"), "DelayedMatrix")
  on_disk[["RNA"]] <- split(on_disk[["RNA"]], f = on_disk$batch)
  expect_s4_class(SeuratObject::LayerData(on_disk, layer = "counts.a"), "DelayedMatrix")
  old <- options(scLM.block_cells = 25L)  # 3 blocks
  on.exit(options(old))
  out <- annotate_cells(small_model(), on_disk, verbose = FALSE)
  expect_identical(colnames(out), colnames(so))
  expect_equal(out$scLM_max.prob, annotate_cells(small_model(), so, verbose = FALSE)$scLM_max.prob, tolerance = 1e-6)
})

test_that("a model trains on split layers with a meta.data label column", {
  skip_if_no_seurat5()
  p <- pbmc3k(); s <- small_split()
  so <- suppressWarnings(SeuratObject::CreateSeuratObject(p$counts[, s$train[1:300]]))
  so$cell_type <- p$cell_type[s$train[1:300]]
  so$batch <- rep(c("a", "b", "c"), length.out = 300)
  joined <- finetune(tiny_config(), so, labels = "cell_type", epochs = 1, seed = 3, verbose = FALSE)
  so[["RNA"]] <- split(so[["RNA"]], f = so$batch)
  split <- finetune(tiny_config(), so, labels = "cell_type", epochs = 1, seed = 3, verbose = FALSE)
  expect_identical(split$weights, joined$weights)
})

test_that("embeddings become a DimReduc and probabilities an assay Seurat 5 accepts", {
  skip_if_no_seurat5()
  so <- embed_cells(small_model(), seurat5_query(), verbose = FALSE)
  expect_s4_class(so[["scLM"]], "DimReduc")
  expect_identical(rownames(SeuratObject::Embeddings(so, "scLM")), colnames(so))
  so <- annotate_cells(small_model(), so, verbose = FALSE)
  probs <- SeuratObject::FetchData(so, paste0("scLMprob_", probability_features(small_model()$labels[1])))
  expect_equal(nrow(probs), ncol(so))
})

test_that("the Seurat 5 pipeline takes scLM's results (with Seurat 5 itself installed)", {
  skip_if_no_seurat5()
  # Seurat's version is read without loading it: Debian's Seurat 4 loaded beside SeuratObject 5
  # breaks the assay assignments of the tests that follow.
  if (!nzchar(system.file(package = "Seurat")) || utils::packageVersion("Seurat") < "5.0.0") skip("Seurat 5 is not installed")
  so <- suppressWarnings(SeuratObject::CreateSeuratObject(query_counts(120)))
  so <- Seurat::NormalizeData(so, verbose = FALSE)
  counts <- annotate_cells(small_model(), so, verbose = FALSE)
  data <- suppressMessages(annotate_cells(small_model(), so, layer = "data", verbose = FALSE))
  expect_identical(data$scLM_labels, counts$scLM_labels)
  so <- embed_cells(small_model(), so, verbose = FALSE)
  so <- Seurat::FindNeighbors(so, reduction = "scLM", dims = 1:10, verbose = FALSE)
  so <- suppressWarnings(Seurat::RunUMAP(so, reduction = "scLM", dims = 1:10, verbose = FALSE))
  expect_identical(dim(SeuratObject::Embeddings(so, "umap")), c(120L, 2L))
  expect_s3_class(Seurat::DimPlot(so, reduction = "umap"), "ggplot")
})
