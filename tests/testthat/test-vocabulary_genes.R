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

test_that("a labelled reference's vocabulary holds each class's marker genes (against a pure-R computation)", {
  p <- pbmc3k()
  train <- small_split()$train
  counts <- p$counts[, train]
  labels <- factor(p$cell_type[train])
  cfg <- sctrans_config(n_features = 600, dim = 32)
  # as fine-tuning chooses: the family's markers per class
  select <- function(cfg, labels = NULL) scLM:::select_features(counts, cfg, labels, scLM:::family_defaults(cfg)$class_markers)
  variable <- select(cfg)
  chosen <- select(cfg, labels)
  l <- counts
  l@x <- log1p(l@x / rep(Matrix::colSums(counts), diff(counts@p)) * 1e4)
  means <- sapply(levels(labels), function(k) Matrix::rowMeans(l[, labels == k, drop = FALSE]))
  markers_of <- function(n) {
    unique(unlist(lapply(seq_len(ncol(means)), function(k) {
      rownames(l)[order(means[, k] - rowMeans(means[, -k, drop = FALSE]), decreasing = TRUE)[seq_len(n)]]
    })))
  }
  markers <- markers_of(20)
  expect_length(chosen, 600)
  expect_true(all(markers %in% chosen))
  expect_gt(length(setdiff(markers, variable)), 0)  # some markers are not among the most variable genes
  # the rest are the most variable genes, the least variable of them making room for the markers
  expect_true(all(setdiff(chosen, markers) %in% variable))
  expect_length(setdiff(variable, chosen), length(setdiff(markers, variable)))
  cfg400 <- cfg
  cfg400$n_features <- 400L  # at most 9 x 20 markers: the 420 most variable non-markers stay
  expect_true(all(select(cfg400) %in% chosen))
  expect_identical(chosen, rownames(counts)[rownames(counts) %in% chosen])  # in row order
  # Markers fill at most half of a small vocabulary: 50 genes, 9 classes -> 2 markers each.
  cfg$n_features <- 50L
  small <- select(cfg, labels)
  expect_length(small, 50)
  expect_true(all(markers_of(2) %in% small))
  # one class, or a token model (it reads a cell's most expressed genes): no markers
  cfg$n_features <- 600L
  expect_identical(select(cfg, factor(rep("a", ncol(counts)))), variable)
  expect_identical(select(tiny_config(), labels), select(tiny_config()))
  # fine-tuning reads them: the model's vocabulary is the labelled selection
  model <- finetune(cfg, counts, labels, epochs = 1, n_models = 1, verbose = FALSE)
  expect_setequal(model$features, chosen)
})
