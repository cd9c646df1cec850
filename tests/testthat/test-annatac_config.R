# annATAC on real bone-marrow scATAC-seq cells: the preset, training, annotation, embeddings,
# marker islands, object types, pretraining and saving.

test_that("the preset is annATAC's model", {
  cfg <- annatac_config()
  expect_equal(cfg[c("modality", "island_size", "tokenizer", "max_bin", "attention", "linformer_k", "share_projection",
                     "n_layers", "head", "position_embedding", "freeze_positions")],
               list(modality = "atac", island_size = 5000L, tokenizer = "counts", max_bin = 5L, attention = "linformer",
                    linformer_k = 64L, share_projection = TRUE, n_layers = 4L, head = "cnn", position_embedding = "svd",
                    freeze_positions = TRUE))
  expect_output(print(cfg), "peak islands")
  expect_error(annatac_config(island_size = 10), "island_size")
})

test_that("an annATAC model learns real bone-marrow cell types and flags uncertain cells", {
  skip_on_cran()
  a <- granja_atac(); model <- atac_model(); test <- atac_test_cells()
  expect_identical(model$modality, "ATAC")
  expect_true(all(grepl("^chr[0-9XY]+-[0-9]+-[0-9]+$", model$features)))
  expect_output(print(model), "5 kb peak islands")
  pred <- annotate_cells(model, a$counts[, test], verbose = FALSE)
  expect_gt(mean(pred$labels == a$cell_type[test]), 0.6)
  strict <- annotate_cells(model, a$counts[, test], threshold = 0.9, unknown = "novel", verbose = FALSE)
  expect_identical(strict$labels, pred$labels)
  expect_true(all(strict$pruned.labels[strict$max.prob < 0.9] == "novel"))
  expect_gt(sum(strict$pruned.labels == "novel"), sum(is.na(pred$pruned.labels) | pred$pruned.labels == "Unknown"))
})

test_that("attention ranks marker islands per cell type", {
  skip_on_cran()
  a <- granja_atac(); model <- atac_model(); test <- atac_test_cells()
  scores <- attention_scores(model, a$counts[, test], group_by = a$cell_type[test], verbose = FALSE)
  expect_identical(dim(scores), c(length(model$features), 6L))
  # islands a type attends to most are more often open in that type than in the other types
  islands <- scLM:::map_query(model$config, a$counts, scLM:::cell_source(a$counts), verbose = FALSE)$transform(a$counts)
  open <- islands > 0
  enriched <- vapply(colnames(scores), function(type) {
    top <- order(scores[, type], decreasing = TRUE)[1:20]
    mean(as.matrix(open[top, a$cell_type == type])) > mean(as.matrix(open[top, a$cell_type != type]))
  }, logical(1))
  expect_gte(sum(enriched), 5)
  emb <- embed_cells(model, a$counts[, test[1:10]], verbose = FALSE)
  expect_identical(dim(emb), c(10L, 2L * model$config$dim))
})

test_that("Seurat peak assays and SingleCellExperiment rowRanges give the matrix's results", {
  skip_on_cran()
  a <- granja_atac(); model <- atac_model(); cells <- atac_test_cells()[1:30]
  m <- a$counts[, cells]
  reference <- annotate_cells(model, m, verbose = FALSE)
  skip_if_no_seurat()
  obj <- SeuratObject::CreateSeuratObject(counts = m, assay = "peaks")
  out <- annotate_cells(model, obj, verbose = FALSE)
  expect_identical(unname(out$scLM_labels), reference$labels)
  expect_identical(obj$orig.ident, out$orig.ident)  # the rest of the object is untouched
  skip_if_no_sce()
  skip_if_not_installed("GenomicRanges")
  ranges <- scLM:::peak_ranges(m, rownames(m))
  sce <- SingleCellExperiment::SingleCellExperiment(list(counts = m))
  SummarizedExperiment::rowRanges(sce) <- GenomicRanges::GRanges(ranges$chrom, IRanges::IRanges(ranges$start, ranges$end))
  rownames(sce) <- paste0("peak", seq_len(nrow(m)))  # names that are not coordinates: the ranges are used
  out <- annotate_cells(model, sce, verbose = FALSE)
  expect_identical(unname(out$scLM_labels), reference$labels)
})

test_that("pretraining on peaks, fine-tuning from it and saving keep islands and predictions", {
  skip_on_cran()
  a <- granja_atac(); test <- atac_test_cells()
  train <- setdiff(seq_len(ncol(a$counts)), test)
  cfg <- annatac_config(n_layers = 1, dim = 16)
  encoder <- pretrain(a$counts, cfg, epochs = 2, balanced_masking = TRUE, verbose = FALSE)
  expect_identical(encoder$modality, "ATAC")
  expect_true(all(is.finite(encoder$history$train_loss)))
  tuned <- finetune(encoder, a$counts[, train], a$cell_type[train], epochs = 2, verbose = FALSE)
  expect_identical(tuned$features, encoder$features)
  file <- tempfile(fileext = ".sclm")
  save_model(tuned, file)
  again <- load_model(file)
  expect_identical(annotate_cells(again, a$counts[, test[1:20]], verbose = FALSE)$probabilities,
                   annotate_cells(tuned, a$counts[, test[1:20]], verbose = FALSE)$probabilities)
  # RNA data given to an ATAC model: the gene names are not peaks
  expect_error(annotate_cells(tuned, pbmc3k()$counts[, 1:5], verbose = FALSE), "holds genes.*not peaks.*scATAC-seq model")
})
