test_that("plot_attention shows each type's most attended genes with their scores", {
  q <- query_counts(200)
  scores <- attention_scores(small_model(), q, group_by = query_labels(200), verbose = FALSE)
  p <- plot_attention(scores, top_n = 4)
  d <- p$data
  expect_setequal(levels(d$group), colnames(scores))
  for (g in colnames(scores)) {
    top <- rownames(scores)[order(scores[, g], decreasing = TRUE)[1:4]]
    expect_true(all(top %in% d$feature), info = g)  # each type's top genes are shown
  }
  expect_equal(d$score, scores[cbind(as.character(d$feature), as.character(d$group))])
  expect_true(all(d$value >= 0 & d$value <= 1))
  expect_equal(as.vector(tapply(d$value, d$feature, max)), rep(1, nlevels(d$feature)))  # scaled per gene
  expect_equal(plot_attention(scores, top_n = 4, scale = FALSE)$data$value, d$score)
  expect_silent(ggplot2::ggplot_build(p))
})

test_that("plot_attention asks for per-type scores", {
  per_cell <- attention_scores(small_model(), query_counts(5), verbose = FALSE)
  expect_error(plot_attention(per_cell), "group_by")
  expect_error(plot_attention(matrix(1:4, 2)), "dimnames")
  expect_error(plot_attention(matrix(1, 1, 1, dimnames = list("a", "b")), top_n = 0), "top_n")
})
