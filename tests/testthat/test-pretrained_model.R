test_that("the shipped pretrained model loads offline with its vocabulary", {
  listing <- pretrained_model()
  expect_true("human_rna_small" %in% listing$name)
  row <- listing[listing$name == "human_rna_small", ]
  expect_lt(row$megabytes, 25)
  expect_equal(row$cells, 5013)
  encoder <- pretrained_model("human_rna_small")
  expect_s3_class(encoder, "scLM_model")
  expect_length(encoder$labels, 0)
  expect_equal(row$features, length(encoder$features))
  vocabulary <- readLines(system.file("extdata", "pretrained", "human_rna_small.features.txt", package = "scLM"))
  expect_identical(vocabulary, encoder$features)
  expect_true(all(c("MS4A1", "CD14", "NKG7", "INS") %in% encoder$features))  # PBMC and pancreas genes
  expect_error(pretrained_model("mouse_big"), "human_rna_small")
})

test_that("fine-tuning from the shipped encoder beats the same budget from scratch on pbmc3k", {
  encoder <- pretrained_model("human_rna_small")
  p <- pbmc3k()
  s <- small_split()
  accuracy <- function(start) {
    model <- finetune(start, p$counts[, s$train], p$cell_type[s$train], epochs = 6, seed = 1, verbose = FALSE)
    mean(annotate_cells(model, query_counts(300), verbose = FALSE)$labels == query_labels(300))
  }
  pretrained <- accuracy(encoder)
  scratch <- accuracy(encoder$config)  # same vocabulary and settings, random weights
  expect_gt(pretrained, 0.6)
  expect_gt(pretrained, scratch)  # measured 0.75 vs 0.60 at 8 epochs, 0.56 vs 0.40 at 3
})
