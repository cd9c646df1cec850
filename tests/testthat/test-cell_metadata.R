test_that("labels are checked before training", {
  m <- pbmc3k()$counts[, 1:60]
  lab <- pbmc3k()$cell_type[1:60]
  expect_error(finetune(tiny_config(), m, labels = lab[-1], verbose = FALSE), "60 cells")
  bad <- lab; bad[3] <- NA
  expect_error(finetune(tiny_config(), m, labels = bad, verbose = FALSE), "NA")
  expect_error(finetune(tiny_config(), m, labels = rep("B", 60), verbose = FALSE), "single class")
  expect_error(finetune(tiny_config(), m, labels = "cell_type", verbose = FALSE), "no cell metadata")
  expect_error(finetune(tiny_config(), m, labels = list(lab), verbose = FALSE), "labels")
})

test_that("labels can name a metadata column and unused factor levels are dropped", {
  skip_if_no_sce()
  s <- small_split()
  idx <- s$train[seq(1, length(s$train), by = 2)]
  sce <- SingleCellExperiment::SingleCellExperiment(list(counts = pbmc3k()$counts[, idx]))
  sce$cell_type <- factor(pbmc3k()$cell_type[idx], levels = c(sort(unique(pbmc3k()$cell_type)), "Unused"))
  expect_error(finetune(tiny_config(), sce, labels = "celltype", verbose = FALSE), "not a cell metadata column")
  expect_warning(model <- finetune(tiny_config(), sce, labels = "cell_type", epochs = 1, verbose = FALSE),
                 "unused level.*Unused")
  expect_false("Unused" %in% model$labels)
  expect_length(model$labels, 9)
})
