test_that("matrix input gives a SingleR-like DataFrame of labels and probabilities", {
  q <- query_counts(300)
  expect_message(res <- annotate_cells(small_model(), q), "600 of 600 model genes")
  expect_s4_class(res, "DataFrame")
  expect_identical(rownames(res), colnames(q))
  expect_identical(names(res), c("labels", "pruned.labels", "max.prob", "unknown.score", "probabilities"))
  expect_equal(unname(rowSums(res$probabilities)), rep(1, 300), tolerance = 1e-5)
  expect_identical(colnames(res$probabilities), small_model()$labels)
  expect_true(all(res$max.prob >= 1 / 9))
  # The default unknown_method is the calibrated "knn", its cut-off moved by the query's own
  # scores (test-unknown.R); a threshold asks for "max_prob".
  cutoff <- S4Vectors::metadata(res)$unknown_cutoff
  expect_identical(cutoff, scLM:::unknown_cutoff(small_model()$unknown, "knn", res$unknown.score, TRUE))
  expect_gte(cutoff, small_model()$unknown$cutoff$knn)
  expect_identical(res$pruned.labels, ifelse(res$unknown.score > cutoff, "Unknown", res$labels))
  by_prob <- annotate_cells(small_model(), q, threshold = 0.5, verbose = FALSE)
  expect_identical(names(by_prob), c("labels", "pruned.labels", "max.prob", "probabilities"))
  expect_identical(by_prob$pruned.labels, ifelse(by_prob$max.prob < 0.5, "Unknown", by_prob$labels))
  expect_gt(mean(res$labels == query_labels(300)), 0.7)
  expect_equal(attr(res, "feature_mapping")$n_matched, 600)
})

test_that("annotation is batched: batch size does not change results", {
  q <- query_counts(50)
  a <- annotate_cells(small_model(), q, batch_size = 7, verbose = FALSE)
  b <- annotate_cells(small_model(), q, batch_size = 256, verbose = FALSE)
  expect_equal(a$probabilities, b$probabilities, tolerance = 1e-5)
})

test_that("an SCTrans model's cells run side by side: each gets its one-thread result, bit for bit", {
  q <- query_counts(60)
  one <- annotate_cells(sctrans_model(), q, batch_size = 25, num_threads = 1, verbose = FALSE)
  side <- annotate_cells(sctrans_model(), q, batch_size = 25, num_threads = 2, verbose = FALSE)  # 25 + 35 cells
  expect_identical(side$probabilities, one$probabilities)
  expect_identical(side$unknown.score, one$unknown.score)
  expect_identical(embed_cells(sctrans_model(), q, batch_size = 25, num_threads = 2, verbose = FALSE),
                   embed_cells(sctrans_model(), q, batch_size = 25, num_threads = 1, verbose = FALSE))
})

test_that("SingleCellExperiment input gets colData columns", {
  skip_if_no_sce()
  sce <- SingleCellExperiment::SingleCellExperiment(list(counts = query_counts(60)))
  out <- annotate_cells(small_model(), sce, verbose = FALSE)
  expect_true(all(c("scLM_labels", "scLM_pruned.labels", "scLM_max.prob", "scLM_probabilities") %in%
                    names(SummarizedExperiment::colData(out))))
  expect_identical(S4Vectors::metadata(out)$scLM$model_id, small_model()$id)
  expect_identical(SummarizedExperiment::assay(out, "counts"), SummarizedExperiment::assay(sce, "counts"))
})

test_that("Seurat input gets meta.data columns and a probability assay", {
  skip_if_no_seurat()
  so <- suppressWarnings(SeuratObject::CreateSeuratObject(query_counts(60)))
  out <- annotate_cells(small_model(), so, verbose = FALSE)
  expect_true(all(c("scLM_labels", "scLM_pruned.labels", "scLM_max.prob") %in% names(out[[]])))
  expect_true("scLM_prob" %in% SeuratObject::Assays(out))
  expect_equal(ncol(out[["scLM_prob"]]), 60)
  direct <- annotate_cells(small_model(), query_counts(60), verbose = FALSE)
  expect_identical(unname(out$scLM_labels), direct$labels)
})

test_that("arguments are validated", {
  expect_error(annotate_cells("model", query_counts(5)), "scLM_model")
  expect_error(annotate_cells(small_model(), query_counts(5), threshold = 2), "threshold")
  expect_error(annotate_cells(small_model(), query_counts(5), unknown = c("a", "b")), "unknown")
})

test_that("calibrated unknown-cell scores flag few cells of known types and need a calibration", {
  q <- query_counts(200)
  for (method in c("mahalanobis", "energy")) {
    res <- annotate_cells(small_model(), q, unknown_method = method, verbose = FALSE)
    expect_true(is.numeric(res$unknown.score) && !anyNA(res$unknown.score))
    flagged <- res$pruned.labels == "Unknown"
    expect_identical(flagged, res$unknown.score > S4Vectors::metadata(res)$unknown_cutoff)
    # Calibrated to flag 5% of held-out reference cells (exactly: test-unknown.R); query cells of the
    # same types come from the same population, so few of them are flagged.
    expect_lt(mean(flagged), 0.25)
  }
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:200]
  uncalibrated <- finetune(tiny_config(), p$counts[, idx], p$cell_type[idx], epochs = 1, validation_fraction = 0,
                           verbose = FALSE)
  expect_null(uncalibrated$unknown)
  expect_error(annotate_cells(uncalibrated, q, unknown_method = "energy", verbose = FALSE), "no calibration")
  expect_error(annotate_cells(small_model(), q, unknown_method = "distance", verbose = FALSE), "unknown_method")
})

test_that("cells with nothing the model reads get NA, not a confident label", {
  m <- query_counts(10)
  m[, 2] <- 0                                                       # no counts at all
  m[small_model()$config$features, 5] <- 0                          # counts only outside the vocabulary
  m <- Matrix::drop0(m)
  expect_gt(sum(m[, 5]), 0)
  expect_warning(r <- annotate_cells(small_model(), m, verbose = FALSE), "2 cells of `x` have no counts in the model's genes")
  expect_identical(which(is.na(r$labels)), c(2L, 5L))
  expect_identical(r$pruned.labels[c(2, 5)], c("Unknown", "Unknown"))
  expect_true(all(is.na(r$max.prob[c(2, 5)])))
  expect_true(all(is.na(r$probabilities[c(2, 5), ])))
  expect_false(anyNA(r$labels[-c(2, 5)]))
  # the other cells get what they get alone
  expect_identical(r$labels[-c(2, 5)], annotate_cells(small_model(), m[, -c(2, 5)], verbose = FALSE)$labels)
})
