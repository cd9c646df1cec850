test_that("attention scores are per-gene, per-cell and sum to at most 1 per cell", {
  q <- query_counts(60)
  s <- attention_scores(small_model(), q, verbose = FALSE)
  expect_s4_class(s, "dgCMatrix")
  expect_equal(dim(s), c(length(small_model()$features), 60))
  expect_identical(rownames(s), small_model()$features)
  totals <- Matrix::colSums(s)
  expect_true(all(totals > 0 & totals <= 1 + 1e-5))
  # only genes the cell expresses get attention
  expressed <- q[small_model()$features[small_model()$features %in% rownames(q)], ] > 0
  attended <- s[rownames(expressed), ] > 0
  expect_equal(sum(attended & !expressed), 0)
})

test_that("grouped scores average over the cells of each group and rank marker genes", {
  q <- query_counts(300)
  lab <- query_labels(300)
  per_cell <- attention_scores(small_model(), q, verbose = FALSE)
  grouped <- attention_scores(small_model(), q, group_by = lab, verbose = FALSE)
  expect_equal(sort(colnames(grouped)), sort(unique(lab)))
  expect_equal(grouped[, "B"], Matrix::rowMeans(per_cell[, lab == "B"]), tolerance = 1e-6)
  expect_error(attention_scores(small_model(), q, group_by = lab[-1], verbose = FALSE), "one non-NA group")
  expect_error(attention_scores(small_model(), q, group_by = "cell_type", verbose = FALSE), "no cell metadata")
})

test_that("each cell type's most attended genes include a known marker", {
  q <- query_counts(600)
  lab <- query_labels(600)
  grouped <- attention_scores(small_model(), q, group_by = lab, verbose = FALSE)
  # Marker genes of the Seurat pbmc3k tutorial (and standard PBMC markers)
  markers <- list(B = c("MS4A1", "CD79A", "CD79B"), `CD14+ Mono` = c("CD14", "LYZ", "S100A8", "S100A9"),
                  NK = c("NKG7", "GNLY", "PRF1"), `FCGR3A+ Mono` = c("FCGR3A", "MS4A7", "LST1", "AIF1"),
                  `CD8 T` = c("CD8A", "CD8B", "CD3E", "GZMK", "CCL5"), `Memory CD4 T` = c("IL7R", "S100A4", "CD3E"),
                  `Naive CD4 T` = c("IL7R", "CCR7", "SELL", "CD3E"), DC = c("FCER1A", "CST3"), Platelet = c("PPBP", "PF4"))
  for (type in intersect(names(markers), names(which(table(lab) >= 10)))) {
    top <- head(rownames(grouped)[order(-grouped[, type])], 20)
    expect_true(any(markers[[type]] %in% top), info = paste(type, ":", paste(top, collapse = " ")))
  }
})
