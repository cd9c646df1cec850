# finetune(query = ): a second round on the reference plus the confidently labelled query cells.
query_case <- local({
  cached <- NULL
  function() {
    if (is.null(cached)) {
      p <- pbmc3k(); s <- small_split()
      cached <<- list(ref = p$counts[, s$train[1:300]], labels = p$cell_type[s$train[1:300]],
                      query = p$counts[, s$test[1:150]], truth = p$cell_type[s$test[1:150]])
    }
    cached
  }
})
# 32/64-gene sub-vectors: the default 128/256 cut 600 genes into 8 tokens, and 8 epochs on 300
# cells then left no query cell labelled with probability 0.7 or more; so did the default
# class-balanced sampling (its rare classes draw probability from the common ones).
query_config <- function() sctrans_config(n_features = 600, scales = c(32, 64), dim = 32)
fit_with_query <- function(seed = 3, query_confidence = 0.7, ...) {
  d <- query_case()
  finetune(query_config(), d$ref, d$labels, epochs = 8, seed = seed, query = d$query,
           query_confidence = query_confidence, class_sampling = 0, verbose = FALSE, ...)
}

test_that("query adaptation equals two rounds run by hand and is deterministic", {
  d <- query_case()
  adapted <- fit_with_query()
  # The same thing by hand: fine-tune, label the query, fine-tune the model again on the reference
  # plus the query cells labelled with probability >= 0.7.
  first <- finetune(query_config(), d$ref, d$labels, epochs = 8, seed = 3, class_sampling = 0, verbose = FALSE)
  called <- annotate_cells(first, d$query, unknown_method = "max_prob", verbose = FALSE)
  sure <- which(apply(called$probabilities, 1, max) >= 0.7)
  expect_gt(length(sure), 0)
  by_hand <- finetune(first, cbind(d$ref, d$query[, sure]), c(d$labels, called$labels[sure]), epochs = 8, seed = 3,
                      class_sampling = 0, verbose = FALSE)
  expect_identical(adapted$weights, by_hand$weights)
  expect_identical(adapted$training$query_cells, length(sure))
  expect_false(identical(adapted$weights, first$weights))
  expect_identical(fit_with_query()$weights, adapted$weights)
  # Unknown-type scores are calibrated on the reference's own cells, as without a query.
  expect_false(is.null(adapted$unknown))
  expect_gt(mean(annotate_cells(adapted, d$query, verbose = FALSE)$labels == d$truth), 0.6)
})

test_that("the second round reads the query's cells against the reference's genes, as annotate_cells() reads them", {
  d <- query_case()
  # More genes, with counts, that the reference never had: left out of the query cells' totals in
  # training as in annotation, so the adapted model is the same.
  set.seed(3)
  extra <- Matrix::rsparsematrix(300, ncol(d$query), 0.2, rand.x = function(n) stats::rpois(n, 3) + 1)
  rownames(extra) <- paste0("NOT-A-REFERENCE-GENE-", seq_len(300))
  wide <- rbind(d$query, extra)
  colnames(wide) <- colnames(d$query)
  adapted <- fit_with_query()
  wide_adapted <- finetune(query_config(), d$ref, d$labels, epochs = 8, seed = 3, query = wide, class_sampling = 0,
                           verbose = FALSE)
  expect_identical(wide_adapted$weights, adapted$weights)
  # The model keeps the reference's gene shares, not the query's.
  expect_identical(wide_adapted$reference_shares, adapted$reference_shares)
  expect_identical(names(adapted$reference_shares), rownames(d$ref))
})

test_that("a query nobody is sure of leaves the model as trained, with a warning; bad queries are refused", {
  d <- query_case()
  expect_warning(kept <- fit_with_query(query_confidence = 1), "not adapted")
  expect_identical(kept$weights, finetune(query_config(), d$ref, d$labels, epochs = 8, seed = 3, class_sampling = 0,
                                         verbose = FALSE)$weights)
  expect_null(kept$training$query_cells)
  # A query of other gene names cannot be labelled: the first round's model, with a warning that says why.
  renamed <- d$query
  rownames(renamed) <- paste0("ENSG-LIKE-", seq_len(nrow(renamed)))
  expect_warning(unread <- finetune(query_config(), d$ref, d$labels, epochs = 8, seed = 3, query = renamed,
                                    class_sampling = 0, verbose = FALSE),
                 "could not be labelled.*not adapted")
  expect_identical(unread$weights, kept$weights)
  expect_error(fit_with_query(query_confidence = 0.2), "query_confidence")
  expect_error(finetune(tiny_config(), d$ref, d$labels, epochs = 1, query = "cells", verbose = FALSE), "query")
})
