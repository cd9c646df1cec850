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
  expect_error(plot_confusion(c("a", NA), c("a", "b")), "NA")
})
