# Log-normalised input (R/log_normalised.R): recognised, undone exactly, and the same labels as
# the counts it came from.
lognorm <- function(m, scale = 1e4, base = exp(1), size_factors = NULL) {
  totals <- Matrix::colSums(m)
  per_cell <- if (is.null(size_factors)) scale / totals else 1 / size_factors
  out <- m %*% Matrix::Diagonal(x = per_cell)
  out@x <- log1p(out@x) / log(base)
  dimnames(out) <- dimnames(m)
  out
}

test_that("the log base and scale are recognised from per-cell totals", {
  m <- query_counts(30)
  expect_identical(scLM:::value_scale(m)$kind, "counts")
  s <- scLM:::value_scale(lognorm(m))
  expect_identical(s$kind, "log")
  expect_identical(s$base, exp(1))
  expect_equal(s$total, 1e4)
  expect_identical(scLM:::value_scale_text(s), "log1p of counts per 10,000")
  with_empty <- lognorm(m); with_empty[, 3] <- 0; with_empty <- Matrix::drop0(with_empty)  # annotation allows empty cells
  expect_identical(scLM:::value_scale_text(scLM:::value_scale(with_empty)), "log1p of counts per 10,000")
  expect_identical(scLM:::value_scale_text(scLM:::value_scale(lognorm(m, 1e6))), "log1p of counts per million")
  sf <- Matrix::colSums(m) / mean(Matrix::colSums(m))  # scuttle::logNormCounts: log2, size factors
  s2 <- scLM:::value_scale(lognorm(m, base = 2, size_factors = sf))
  expect_identical(s2$base, 2)
  expect_equal(s2$total, mean(Matrix::colSums(m)))
  # undone exactly: the per-cell normalised values
  expected <- m %*% Matrix::Diagonal(x = 1e4 / Matrix::colSums(m))
  expect_equal(scLM:::undo_log(lognorm(m), s)@x, expected@x, tolerance = 1e-12)
})

test_that("a gene subset takes the base whose totals are possible", {
  m <- query_counts(30)
  # without the 3 most expressed genes the totals vary, and read in natural log they would exceed a
  # million per million
  cpm <- lognorm(m, 1e6, base = 2)[-order(-Matrix::rowMeans(m))[1:3], ]
  expect_gt(min(Matrix::colSums(expm1(cpm))), 1e6)
  s <- scLM:::value_scale(cpm)
  expect_identical(s$base, 2)
  expect_true(is.na(s$total))
})

test_that("log-normalised matrices, Seurat data layers and SCE logcounts give the labels of their counts", {
  m <- query_counts(60)
  counts <- annotate_cells(small_model(), m, verbose = FALSE)
  for (x in list(lognorm(m), lognorm(m, 1e6))) {
    expect_message(r <- annotate_cells(small_model(), x, verbose = FALSE), "log-normalised values")
    expect_identical(r$labels, counts$labels)
    expect_equal(r$probabilities, counts$probabilities, tolerance = 1e-5)
  }
  skip_if_no_sce()
  sce <- SingleCellExperiment::SingleCellExperiment(list(logcounts = lognorm(m, base = 2, size_factors = Matrix::colSums(m) / mean(Matrix::colSums(m)))))
  r <- suppressMessages(annotate_cells(small_model(), sce, assay = "logcounts", verbose = FALSE))
  expect_identical(r$scLM_labels, counts$labels)
  skip_if_no_seurat()
  so <- suppressWarnings(SeuratObject::CreateSeuratObject(m))
  # SeuratObject 5 names the argument `layer` (`slot` is defunct there); 4 knows only `slot`.
  so <- if (utils::packageVersion("SeuratObject") >= "5.0.0") SeuratObject::SetAssayData(so, layer = "data", new.data = lognorm(m)) else
    SeuratObject::SetAssayData(so, slot = "data", new.data = lognorm(m))
  r <- suppressMessages(annotate_cells(small_model(), so, layer = "data", verbose = FALSE))
  expect_identical(unname(r$scLM_labels), counts$labels)
  expect_error(annotate_cells(small_model(), so, layer = "scale.data", verbose = FALSE), "scaled values")
})

test_that("fine-tuning takes log-normalised cells", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:150]
  a <- finetune(tiny_config(), p$counts[, idx], p$cell_type[idx], epochs = 1, seed = 2, verbose = FALSE)
  expect_message(b <- finetune(tiny_config(), lognorm(p$counts[, idx]), p$cell_type[idx], epochs = 1, seed = 2,
                               verbose = FALSE), "log-normalised values")
  expect_length(b$config$features, length(a$config$features))
  expect_identical(nrow(b$history), 1L)
})
