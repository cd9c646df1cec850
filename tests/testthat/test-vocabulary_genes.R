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
  expect_error(annotate_cells(small_model(), few, verbose = FALSE), "at least 150 \\(25%\\)")
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
  # fine-tuning from a pretrained vocabulary has no min_overlap to lower: the fix is to train from a config
  few <- q[c(small_model()$config$features[1:60], setdiff(rownames(q), small_model()$config$features)[1:400]), ]
  few <- few[, Matrix::colSums(few) > 0]
  message <- tryCatch(finetune(small_model(), few, rep(c("a", "b"), length.out = ncol(few)), epochs = 1, verbose = FALSE),
                      error = conditionMessage)
  expect_match(message, "Only 60 of 600.*at least 100.*fine-tune from a config")
  expect_no_match(message, "min_overlap")
})

test_that("a gene panel fine-tunes from a pretrained model, and queries are read on the panel's genes", {
  split <- small_split()
  panel <- small_model()$features[seq(1, 600, by = 5)]  # 120 of the 600 genes, below min_overlap's 25%
  ref <- pbmc3k()$counts[panel, split$train]
  keep <- Matrix::colSums(ref) > 0
  expect_message(model <- finetune(small_model(), ref[, keep], pbmc3k()$cell_type[split$train][keep], epochs = 2,
                                   seed = 1, verbose = TRUE), "holds 120 of the pretrained model's 600 genes")
  expect_identical(model$reference_features, panel)
  expect_output(print(model), "600 genes \\(120 in its reference\\)")
  q <- query_counts(40)
  # the query's other vocabulary genes stay unread (the model never saw them fine-tuned): as if
  # they had other names (which keeps each cell's total, the normalisation's divisor)
  expect_message(full <- annotate_cells(model, q), "120 of 120 model genes")
  renamed <- q
  other <- rownames(q) %in% setdiff(model$features, panel)
  rownames(renamed)[other] <- paste0("other", seq_len(sum(other)))
  expect_equal(annotate_cells(model, renamed, verbose = FALSE)$probabilities, full$probabilities, tolerance = 1e-6)
  expect_error(annotate_cells(model, q[panel[1:20], ], verbose = FALSE), "Only 20 of 120 model genes")
  path <- tempfile(fileext = ".scLM")
  on.exit(unlink(path), add = TRUE)
  save_model(model, path)
  expect_identical(load_model(path)$reference_features, panel)
  # a model from the reference's own genes holds every one of them
  expect_null(small_model()$reference_features)
})
