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

test_that("empty labels and single-cell classes are accepted with a warning", {
  labels <- c(rep("T", 5), rep("B", 4), "")
  expect_warning(expect_warning(out <- scLM:::resolve_labels(labels, NULL, 10), "1 empty label"),
                 "1 class has a single cell")
  expect_identical(nlevels(out), 3L)
  expect_silent(scLM:::resolve_labels(c(rep("T", 5), rep("B", 5)), NULL, 10))
})

test_that("the classes of character labels are in the same order in every locale", {
  labels <- rep(c("NK", "Naive CD4 T", "b", "B"), 3)
  old <- Sys.getlocale("LC_COLLATE")
  on.exit(Sys.setlocale("LC_COLLATE", old), add = TRUE)
  # testthat collates in C; C.UTF-8 and en_US.UTF-8 (where installed) sort "b" first and "NK" last
  for (locale in c("C", "C.UTF-8", "en_US.UTF-8")) {
    if (!nzchar(suppressWarnings(Sys.setlocale("LC_COLLATE", locale)))) next
    expect_identical(levels(scLM:::resolve_labels(labels, NULL, 12)), c("B", "NK", "Naive CD4 T", "b"))
  }
  # a factor keeps its levels' order
  expect_identical(levels(scLM:::resolve_labels(factor(labels, c("b", "NK", "B", "Naive CD4 T")), NULL, 12)),
                   c("b", "NK", "B", "Naive CD4 T"))
})
