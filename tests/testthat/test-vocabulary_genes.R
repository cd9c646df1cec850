# The gene vocabulary (R/vocabulary_genes.R): highly variable genes and mapping a query's genes by name.

test_that("genes are matched by name: missing genes are reported, none shared is an error", {
  q <- query_counts(40)
  shuffled <- q[rev(seq_len(nrow(q))), ]
  expect_equal(annotate_cells(small_model(), shuffled, verbose = FALSE)$probabilities,
               annotate_cells(small_model(), q, verbose = FALSE)$probabilities, tolerance = 1e-5)
  keep <- !rownames(q) %in% small_model()$features[1:200]
  expect_warning(res <- annotate_cells(small_model(), q[keep, ], verbose = FALSE), "66.7%")
  expect_length(attr(res, "feature_mapping")$missing, 200)
  renamed <- q; rownames(renamed) <- paste0("ENSG", seq_len(nrow(q)))
  expect_error(annotate_cells(small_model(), renamed, verbose = FALSE), "None of the 600 model genes")
  few <- q[rownames(q) %in% small_model()$features[1:50] | !rownames(q) %in% small_model()$features, ]
  expect_error(annotate_cells(small_model(), few, verbose = FALSE), "at least 25%")
})

test_that("identifier mismatches scLM can tell are named with their fix", {
  q <- query_counts(20)
  annotate <- function(x) annotate_cells(small_model(), x, verbose = FALSE)
  mouse_case <- q; rownames(mouse_case) <- tools::toTitleCase(tolower(rownames(q)))
  expect_error(annotate(mouse_case), "letter case.*toupper")
  expect_error(annotate(mouse_case), "mouse-like")
  expect_error(annotate(Matrix::t(q)), "transposed.*t\\(x\\)")
  model_ids <- sprintf("ENSG%011d", seq_len(600))
  query_ids <- paste0(model_ids, ".", 3)
  expect_error(scLM:::map_features(query_ids, model_ids, verbose = FALSE), "version suffix.*sub\\(")
  expect_error(scLM:::map_features(sprintf("ENSMUSG%011d", 1:600), model_ids, verbose = FALSE),
               "look like mouse, the model like human")
  # fine-tuning has no min_overlap to lower: the fix is to train from a config
  few <- q[c(small_model()$config$features[1:100], setdiff(rownames(q), small_model()$config$features)[1:400]), ]
  few <- few[, Matrix::colSums(few) > 0]
  message <- tryCatch(finetune(small_model(), few, rep(c("a", "b"), length.out = ncol(few)), epochs = 1, verbose = FALSE),
                      error = conditionMessage)
  expect_match(message, "Only 100 of 600.*fine-tune from a config")
  expect_no_match(message, "min_overlap")
})
