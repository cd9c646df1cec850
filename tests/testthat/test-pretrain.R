# A small pretrained encoder on real pbmc3k cells, shared by these tests.
pretrained <- function() {
  if (is.null(.cache$pretrained)) {
    p <- pbmc3k()
    .cache$pretrained <- pretrain(p$counts[, seq(1, ncol(p$counts), by = 3)], tiny_config(), epochs = 4,
                                  seed = 3, verbose = FALSE)
  }
  .cache$pretrained
}

test_that("masked pretraining on real cells lowers the masked loss and gives an encoder", {
  enc <- pretrained()
  expect_s3_class(enc, "scLM_model")
  expect_length(enc$labels, 0)
  expect_lt(tail(enc$history$train_loss, 1), 0.9 * enc$history$train_loss[1])
  expect_false(anyNA(enc$history$val_loss))
  expect_output(print(enc), "pretrained encoder")
  emb <- embed_cells(enc, query_counts(30), verbose = FALSE)
  expect_equal(dim(emb), c(30, 2 * enc$config$dim))
  expect_error(annotate_cells(enc, query_counts(5), verbose = FALSE), "without cell-type labels")
})

test_that("several datasets pretrain together on the union of their variable genes", {
  p <- pbmc3k()
  a <- p$counts[, 1:150]
  b <- p$counts[, 151:300]
  rownames(b)[1:50] <- paste0("other_", 1:50)  # a second dataset with partly different genes
  enc <- pretrain(list(a, b), scLMConfig(n_features = 200, max_tokens = 48, dim = 16, ff_dim = 32),
                  epochs = 1, verbose = FALSE)
  expect_setequal(enc$features, union(scLM:::select_features(a, enc$config),
                                      scLM:::select_features(b, enc$config)))
  expect_error(pretrain(list(), tiny_config(), verbose = FALSE), "empty list")
  expect_error(pretrain(a, "config", verbose = FALSE), "config")
})

test_that("datasets of different genes are read on the scale of all their genes, and so is a query", {
  p <- pbmc3k()
  a <- p$counts[, 1:150]
  panel <- p$counts[1:4000, 151:300]  # a second dataset of a third of the genes
  enc <- pretrain(list(a, panel), tiny_config(), epochs = 1, verbose = FALSE)
  expect_equal(enc$reference_shares, scLM:::reference_shares(list(scLM:::cell_source(a), scLM:::cell_source(panel))))
  held <- sum(enc$reference_shares[rownames(panel)])
  expect_gt(held, 0.05)
  expect_lt(held, 0.95)
  # embed_cells() reads panel cells at the totals they would have had over every gene: nearer the
  # embeddings of the whole cells than at their own totals.
  whole <- embed_cells(enc, p$counts[, 151:300], verbose = FALSE)
  own <- enc
  own$reference_shares <- NULL
  expect_warning(embed_cells(enc, panel, verbose = FALSE), "model genes are in the data")  # a third of the genes
  gap <- function(m) mean(abs(suppressWarnings(embed_cells(m, panel, verbose = FALSE)) - whole))
  expect_lt(gap(enc), gap(own))
})

test_that("SCTrans pretraining on a gene panel too small for its sub-vectors names the scales that fit", {
  p <- pbmc3k()
  panel <- p$counts[order(-Matrix::rowSums(p$counts))[1:300], 1:100]  # 300 genes: one 256-gene block
  expect_error(pretrain(panel, sctrans_config(), epochs = 1, verbose = FALSE),
               "at\\s+least\\s+two.*holds\\s+300.*scales\\s*=\\s*c\\(64,\\s+128\\)")
  enc <- pretrain(panel, sctrans_config(scales = c(64, 128)), epochs = 1, verbose = FALSE)
  expect_equal(enc$config$subvectors$scales, c(64L, 128L))
})

test_that("a checkpoint is written every epoch, resumed, and refused for other settings", {
  p <- pbmc3k(); cells <- p$counts[, 1:200]
  cfg <- scLMConfig(n_features = 200, max_tokens = 48, dim = 16, ff_dim = 32)
  file <- tempfile(fileext = ".pt")
  on.exit(unlink(file))
  full <- pretrain(cells, cfg, epochs = 2, checkpoint = file, verbose = FALSE)
  expect_true(file.exists(file))
  # The checkpoint of a finished run resumes to the same model without training again.
  again <- pretrain(cells, cfg, epochs = 2, checkpoint = file, resume = TRUE, verbose = FALSE)
  expect_identical(again$weights, full$weights)
  expect_equal(again$history$train_loss, full$history$train_loss)
  expect_error(pretrain(cells, cfg, epochs = 2, seed = 2, checkpoint = file, resume = TRUE, verbose = FALSE),
               "other settings or data")
  expect_error(pretrain(cells, cfg, resume = TRUE, verbose = FALSE), "checkpoint")
  expect_error(pretrain(cells, cfg, checkpoint = file.path(tempdir(), "no", "such", "dir", "x.pt"), verbose = FALSE),
               "does not exist")
})

test_that("fine-tuning starts from the pretrained encoder and can freeze it", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:200]
  enc <- pretrained()
  head_only <- finetune(enc, p$counts[, idx], p$cell_type[idx], epochs = 2, trainable_blocks = "head",
                        verbose = FALSE)
  q <- query_counts(20)
  same_encoder <- function(a, b) isTRUE(all.equal(embed_cells(a, q, verbose = FALSE), embed_cells(b, q, verbose = FALSE)))
  expect_true(same_encoder(head_only, enc))
  expect_identical(head_only$features, enc$features)
  top <- finetune(enc, p$counts[, idx], p$cell_type[idx], epochs = 2, trainable_blocks = 1, verbose = FALSE)
  expect_false(same_encoder(top, enc))
  cnn <- finetune(enc, p$counts[, idx], p$cell_type[idx], head = "cnn", epochs = 1, verbose = FALSE)
  expect_identical(cnn$config$head, "cnn")
  expect_equal(nrow(annotate_cells(top, query_counts(10), verbose = FALSE)), 10)
  expect_error(finetune(tiny_config(), p$counts[, idx], p$cell_type[idx], trainable_blocks = "head", verbose = FALSE),
               "pretrained model")
  expect_error(finetune(enc, p$counts[, idx], p$cell_type[idx], trainable_blocks = 5, verbose = FALSE),
               "trainable_blocks")
})

test_that("pretrained models save and load", {
  file <- tempfile(fileext = ".rds")
  on.exit(unlink(file))
  save_model(pretrained(), file)
  loaded <- load_model(file)
  expect_identical(loaded$encoder_weights, pretrained()$encoder_weights)
  expect_equal(embed_cells(loaded, query_counts(5), verbose = FALSE),
               embed_cells(pretrained(), query_counts(5), verbose = FALSE))
})
