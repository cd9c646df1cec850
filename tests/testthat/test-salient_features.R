test_that("salient_features() ranks selected sub-vectors per cell type with a mask in [0, 1]", {
  model <- sctrans_model()
  cells <- query_counts(200)
  res <- salient_features(model, cells, group_by = query_labels(200), top_n = 5, verbose = FALSE)
  expect_s3_class(res, "data.frame")
  expect_named(res, c("group", "rank", "token", "scale", "position", "genes", "selected", "mask", "score", "n_cells"))
  expect_setequal(unique(res$group), unique(query_labels(200)))
  expect_true(all(table(res$group) == 5))
  expect_true(all(res$scale %in% c(32, 64)))
  mask <- attr(res, "mask")
  expect_equal(dim(mask), c(200, 19 + 10))
  expect_true(all(mask >= 0 & mask <= 1))
  # the genes column names the vocabulary genes of the token
  first <- res[1, ]
  genes <- strsplit(first$genes, ",")[[1]]
  start <- (first$position - 1) * first$scale
  expect_identical(genes, model$features[(start + 1):min(length(model$features), start + first$scale)])
  # within a group, rows are ordered by selection share and carry the group's mean mask
  b <- res[res$group == "B", ]
  expect_false(is.unsorted(rev(b$selected)))
  b_cells <- query_labels(200) == "B"
  expect_equal(b$mask, unname(colMeans(mask[b_cells, b$token, drop = FALSE])), tolerance = 1e-6)
  # without group_by, groups are the predicted labels
  predicted <- annotate_cells(model, cells, verbose = FALSE)$labels
  by_prediction <- salient_features(model, cells, top_n = 1, verbose = FALSE)
  expect_setequal(by_prediction$group, unique(predicted))
  expect_error(salient_features(small_model(), cells, verbose = FALSE), "SCTrans")
  expect_error(salient_features(model, cells, top_n = 0, verbose = FALSE), "top_n")
})
