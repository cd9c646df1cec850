test_that("plot_confusion counts cells per true and predicted label", {
  truth <- c("B", "B", "T", "T", "T", "NK")
  predicted <- c("B", "Unknown", "T", "T", "NK", "NK")
  p <- plot_confusion(predicted, truth)
  d <- p$data
  cell <- function(t, pr) d[d$truth == t & d$predicted == pr, ]
  expect_equal(cell("T", "T")$cells, 2)
  expect_equal(cell("T", "T")$fraction, 2 / 3)
  expect_equal(cell("B", "Unknown")$cells, 1)
  expect_equal(sum(d$cells), 6)
  expect_equal(levels(d$predicted), c("B", "NK", "T", "Unknown"))  # predictions outside the types last
  # F1: B 2/3, NK 2/3, T 0.8
  expect_match(p$labels$subtitle, "accuracy 0.667, macro-F1 0.711", fixed = TRUE)
  expect_silent(ggplot2::ggplot_build(p))
})

test_that("plot_confusion takes an annotate_cells() result", {
  res <- annotate_cells(small_model(), query_counts(100), threshold = 0.9, verbose = FALSE)
  truth <- query_labels(100)
  d <- plot_confusion(res, truth)$data
  expect_equal(sum(d$cells[as.character(d$truth) == as.character(d$predicted)]), sum(res$labels == truth))
  pruned <- plot_confusion(res, truth, column = "pruned.labels")$data
  expect_equal(sum(pruned$cells[pruned$predicted == "Unknown"]), sum(res$pruned.labels == "Unknown"))
  expect_error(plot_confusion(res$labels, truth[-1]), "same non-zero length")
  expect_error(plot_confusion(c("a", "b"), c("a", NA)), "truth")
})

test_that("plot_confusion takes the NA labels of unknown = NA", {
  res <- annotate_cells(small_model(), query_counts(100), threshold = 0.9, unknown = NA, verbose = FALSE)
  truth <- query_labels(100)
  expect_true(anyNA(res$pruned.labels))
  d <- plot_confusion(res, truth, column = "pruned.labels")$data
  expect_equal(sum(d$cells[d$predicted == "NA"]), sum(is.na(res$pruned.labels)))
  expect_equal(sum(d$cells), 100)
})

test_that("plot_confusion's macro-F1 leaves out true types the model does not know, and says so", {
  truth <- c("B", "B", "T", "T", "T", "NK")
  predicted <- c("B", "B", "T", "T", "T", "T")
  p <- plot_confusion(predicted, truth, known = c("B", "T"))
  # F1 over B (1) and T (6/7); NK, unknown to the model, is named instead of scoring 0
  expect_match(p$labels$subtitle, sprintf("macro-F1 %.3f over 2 known types", (1 + 6 / 7) / 2), fixed = TRUE)
  expect_match(p$labels$subtitle, "not in the model: NK", fixed = TRUE)
  expect_match(plot_confusion(predicted, truth)$labels$subtitle, "over 3 known types", fixed = TRUE)
  expect_error(plot_confusion(predicted, truth, known = "X"), "known")
})
