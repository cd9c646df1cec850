test_that("the shipped pretrained model loads offline with its vocabulary", {
  listing <- pretrained_model()
  expect_true("human_rna_small" %in% listing$name)
  row <- listing[listing$name == "human_rna_small", ]
  expect_lt(row$megabytes, 25)
  expect_equal(row$cells, 5013)
  encoder <- pretrained_model("human_rna_small")
  expect_s3_class(encoder, "scLM_model")
  expect_length(encoder$labels, 0)
  expect_equal(row$features, length(encoder$features))
  vocabulary <- readLines(system.file("extdata", "pretrained", "human_rna_small.features.txt", package = "scLM"))
  expect_identical(vocabulary, encoder$features)
  expect_true(all(c("MS4A1", "CD14", "NKG7", "INS") %in% encoder$features))  # PBMC and pancreas genes
  expect_error(pretrained_model("mouse_big"), "human_rna_small")
})

test_that("fine-tuning from the shipped encoder beats the same budget from scratch on pbmc3k", {
  encoder <- pretrained_model("human_rna_small")
  p <- pbmc3k()
  s <- small_split()
  accuracy <- function(start) {
    model <- finetune(start, p$counts[, s$train], p$cell_type[s$train], epochs = 6, seed = 1, verbose = FALSE)
    mean(annotate_cells(model, query_counts(300), verbose = FALSE)$labels == query_labels(300))
  }
  pretrained <- accuracy(encoder)
  scratch <- accuracy(encoder$config)  # same vocabulary and settings, random weights
  expect_gt(pretrained, 0.6)
  expect_gt(pretrained, scratch)  # measured 0.75 vs 0.60 at 8 epochs, 0.56 vs 0.40 at 3
})

test_that("the shipped PBMC annotator labels PBMCs with its harmonised types", {
  listing <- pretrained_model()
  expect_true("human_pbmc_annotator" %in% listing$name)
  expect_lt(listing$megabytes[listing$name == "human_pbmc_annotator"], 10)
  model <- pretrained_model("human_pbmc_annotator")
  expect_setequal(model$labels, c("B", "DC", "MK", "Mono_CD14", "Mono_CD16", "NK", "T_CD4", "T_CD8"))
  # pbmc3k's labels in the annotator's names (see ?pretrained_model); pbmc3k was among its
  # training cells, so this checks that it learned real types, not how well it generalises.
  harmonised <- c("Naive CD4 T" = "T_CD4", "Memory CD4 T" = "T_CD4", "CD8 T" = "T_CD8", "CD14+ Mono" = "Mono_CD14",
                  "FCGR3A+ Mono" = "Mono_CD16", "Platelet" = "MK", B = "B", NK = "NK", DC = "DC")
  res <- annotate_cells(model, query_counts(300), verbose = FALSE)
  expect_gt(mean(res$labels == harmonised[query_labels(300)]), 0.8)
  # It keeps its reference's gene levels, so the default matches a query's to them.
  expect_identical(dim(model$gene_levels$means), c(length(model$features), length(model$labels)))
  expect_true(S4Vectors::metadata(res)$match_levels)
})

test_that("the shipped SCTrans encoder fine-tunes a gene panel and learns real types", {
  encoder <- pretrained_model("human_rna_sctrans")
  expect_s3_class(encoder$config, "scLM_sctrans_config")
  expect_length(encoder$labels, 0)
  expect_identical(readLines(system.file("extdata", "pretrained", "human_rna_sctrans.features.txt", package = "scLM")),
                   encoder$features)
  expect_lt(pretrained_model()$megabytes[pretrained_model()$name == "human_rna_sctrans"], 5)
  p <- pbmc3k()
  s <- small_split()
  shared <- intersect(encoder$features, rownames(p$counts))
  panel <- shared[seq(1, length(shared), by = 4)]  # 874 genes, ~22% of its 4,047
  model <- finetune(encoder, p$counts[panel, s$train], p$cell_type[s$train], epochs = 3, n_models = 1, seed = 1,
                    verbose = FALSE)
  expect_identical(model$reference_features, encoder$features[encoder$features %in% panel])
  expect_gt(mean(annotate_cells(model, query_counts(300), verbose = FALSE)$labels == query_labels(300)), 0.6)
})
