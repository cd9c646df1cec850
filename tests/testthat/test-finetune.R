test_that("finetune learns real cell types and records its training", {
  model <- small_model()
  expect_s3_class(model, "scLM_model")
  expect_length(model$features, 600)
  expect_setequal(model$labels, unique(pbmc3k()$cell_type))
  expect_true(all(c("epoch", "train_loss", "val_loss", "val_accuracy") %in% names(model$history)))
  expect_lt(tail(model$history$train_loss, 1), model$history$train_loss[1])
  expect_gt(max(model$history$val_accuracy), 0.6)
  expect_output(print(model), "scLM_model")
})

test_that("the same seed gives the same model on CPU; another seed does not", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:200]
  fit <- function(seed) finetune(tiny_config(), p$counts[, idx], labels = p$cell_type[idx], epochs = 2,
                                 seed = seed, device = "cpu", verbose = FALSE)
  a <- fit(5); b <- fit(5); c <- fit(6)
  expect_identical(a$weights, b$weights)
  expect_identical(a$history$train_loss, b$history$train_loss)
  expect_false(identical(a$weights, c$weights))
})

test_that("length bucketing is deterministic, changes the batches and is validated", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:200]
  config <- scLMConfig(n_features = 600, max_tokens = 600, dim = 32, ff_dim = 64)  # lengths vary: no cap
  fit <- function(bucketing) finetune(config, p$counts[, idx], labels = p$cell_type[idx], epochs = 2,
                                      length_bucketing = bucketing, device = "cpu", verbose = FALSE)
  a <- fit(TRUE); b <- fit(TRUE); c <- fit(FALSE)
  expect_identical(a$weights, b$weights)
  expect_false(identical(a$history$train_loss, c$history$train_loss))
  expect_error(fit(NA), "length_bucketing")
})

test_that("class-balanced sampling is deterministic, changes the batches, is recorded and validated", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:200]
  fit <- function(sampling, config = tiny_config()) {
    finetune(config, p$counts[, idx], labels = p$cell_type[idx], epochs = 2, class_sampling = sampling,
             device = "cpu", verbose = FALSE)
  }
  a <- fit(0.5); b <- fit(0.5); c <- fit(0)
  expect_identical(a$weights, b$weights)
  expect_false(identical(a$history$train_loss, c$history$train_loss))
  expect_identical(a$training$class_sampling, 0.5)
  expect_identical(c$training$class_sampling, 0)
  expect_false(identical(fit(1, sctrans_config(n_features = 600, dim = 16))$weights,
                         fit(0, sctrans_config(n_features = 600, dim = 16))$weights))
  expect_error(fit(1.5), "class_sampling")
  expect_error(fit(NA), "class_sampling")
  # the family's default: SCTrans models of genes draw classes by the square root of their size
  genes <- sctrans_config(n_features = 600, dim = 16)
  default <- finetune(genes, p$counts[, idx], labels = p$cell_type[idx], epochs = 1, n_models = 1, device = "cpu",
                      verbose = FALSE)
  expect_identical(default$training$class_sampling, 0.5)
  expect_identical(default$weights, finetune(genes, p$counts[, idx], labels = p$cell_type[idx], epochs = 1, n_models = 1,
                                             class_sampling = 0.5, device = "cpu", verbose = FALSE)$weights)
  expect_identical(fit(NULL)$training$class_sampling, 0)  # token models: each cell once
})

for (augmentation in list(list(arg = "gene_scale_noise", on = 0.5, bad = -1), list(arg = "downsample", on = 0.5, bad = 1),
                          list(arg = "mixup", on = 0.4, bad = -1))) {
  test_that(sprintf("augmentation %s is deterministic, changes the training and is SCTrans-only", augmentation$arg), {
    p <- pbmc3k(); s <- small_split(); idx <- s$train[1:200]
    fit <- function(value, config = sctrans_config(n_features = 600, dim = 16)) {
      do.call(finetune, c(list(config, p$counts[, idx], labels = p$cell_type[idx], epochs = 2, device = "cpu",
                               verbose = FALSE), stats::setNames(list(value), augmentation$arg)))
    }
    a <- fit(augmentation$on); b <- fit(augmentation$on); c <- fit(0)
    expect_identical(a$weights, b$weights)
    expect_false(identical(a$history$train_loss, c$history$train_loss))
    expect_error(fit(augmentation$bad), augmentation$arg)
    expect_error(fit(augmentation$on, tiny_config()), "sctrans_config")
  })
}

test_that("down-sampling is on by default for SCTrans models of genes, off for token models, and recorded", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:200]
  fit <- function(config, ...) finetune(config, p$counts[, idx], labels = p$cell_type[idx], epochs = 1, n_models = 1,
                                        device = "cpu", verbose = FALSE, ...)
  genes <- sctrans_config(n_features = 600, dim = 16)
  default <- fit(genes)
  expect_identical(default$training$downsample, 0.5)
  expect_identical(default$weights, fit(genes, downsample = 0.5)$weights)
  off <- fit(genes, downsample = 0)
  expect_identical(off$training$downsample, 0)
  expect_false(identical(default$history$train_loss, off$history$train_loss))
  expect_identical(fit(tiny_config())$training$downsample, 0)
})

test_that("mixup is set per model of the ensemble and recorded", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:200]
  fit <- function(n_models, ...) {
    finetune(sctrans_config(n_features = 600, dim = 16), p$counts[, idx], labels = p$cell_type[idx], epochs = 1,
             n_models = n_models, device = "cpu", verbose = FALSE, ...)
  }
  off <- fit(2L); second <- fit(2L, mixup = c(0, 1))
  expect_identical(off$training$mixup, 0)
  expect_identical(second$training$mixup, c(0, 1))
  expect_identical(off$weights, second$weights)  # the first model trains without mixup in both
  expect_false(identical(off$members[[1]], second$members[[1]]))
  expect_error(fit(1L, mixup = c(0, NA)), "mixup")
})

test_that("a trained model can be retrained with its vocabulary, with balanced class weights", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:300]
  model <- finetune(small_model(), p$counts[, idx], labels = p$cell_type[idx], epochs = 1,
                    class_weights = "balanced", verbose = FALSE)
  expect_identical(model$features, small_model()$features)
})

test_that("bf16 training keeps float32 weights that annotate as an fp32 model does", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:200]
  fp32 <- finetune(tiny_config(), p$counts[, idx], labels = p$cell_type[idx], epochs = 2, seed = 3, verbose = FALSE)
  bf16 <- finetune(tiny_config(), p$counts[, idx], labels = p$cell_type[idx], epochs = 2, seed = 3,
                   precision = "bf16", verbose = FALSE)
  expect_identical(bf16$training$precision, "bf16")
  expect_true(all(is.finite(bf16$history$train_loss)))
  # Training in bf16 follows the fp32 run closely but not exactly.
  expect_false(identical(bf16$history$train_loss, fp32$history$train_loss))
  expect_equal(bf16$history$train_loss, fp32$history$train_loss, tolerance = 0.05)
  # Its weights are ordinary float32 weights: an fp32 pass and a bf16 pass agree on the labels.
  q <- query_counts(100)
  exact <- annotate_cells(bf16, q, verbose = FALSE)
  fast <- annotate_cells(bf16, q, precision = "bf16", verbose = FALSE)
  expect_gte(mean(exact$labels == fast$labels), 0.95)
  expect_lt(max(abs(exact$probabilities - fast$probabilities)), 0.05)
  expect_error(annotate_cells(bf16, q, precision = "half", verbose = FALSE), "precision")
})

test_that("CUDA training runs when a GPU is present", {
  skip_if_not(scLM_backend()$cuda_available, "no CUDA device")
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:200]
  model <- finetune(tiny_config(), p$counts[, idx], labels = p$cell_type[idx], epochs = 1,
                    device = "cuda", precision = "bf16", verbose = FALSE)
  expect_equal(nrow(annotate_cells(model, query_counts(20), device = "cuda", precision = "bf16", verbose = FALSE)), 20)
})

test_that("progress reporting: a bar and epoch lines on a terminal, one line per epoch in logs; quiet runs print nothing", {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:100]
  fit <- function(verbose) finetune(tiny_config(), p$counts[, idx], labels = p$cell_type[idx], epochs = 2,
                                    validation_fraction = 0, verbose = verbose)
  # Logs and knitted output (not a dynamic terminal): exactly one line per epoch, no bar.
  old <- options(cli.progress_show_after = 0, cli.dynamic = FALSE)
  on.exit(options(old))
  messages <- capture_messages(model <- fit(TRUE))
  expect_s3_class(model, "scLM_model")
  expect_false(any(grepl("Training", messages)))
  epochs <- grep("epoch", messages, value = TRUE)
  expect_length(epochs, 2L)
  expect_match(epochs, "^epoch [12]/2: loss [0-9.]+, accuracy [0-9.]+ \\([0-9.]+s\\)\n?$")
  expect_match(epochs[2], "^epoch 2/2")
  expect_false(any(grepl("validation", epochs)))  # validation_fraction = 0: no validation loss to report
  # A dynamic terminal also gets the bar.
  options(cli.dynamic = TRUE)
  output <- paste(capture.output(messages <- capture_messages(fit(TRUE)), type = "message"), collapse = "")
  expect_true(any(grepl("Training", c(messages, output))))
  expect_length(grep("epoch [0-9]+/2: loss", messages), 2L)
  expect_length(capture_messages(fit(FALSE)), 0L)
})

test_that("without a config, finetune() trains the modality's default model and family defaults", {
  p <- pbmc3k(); idx <- small_split()$train[1:150]
  rna <- finetune(x = p$counts[, idx], labels = p$cell_type[idx], epochs = 1, verbose = FALSE)
  expect_s3_class(rna$config, "scLM_sctrans_config")
  expect_identical(rna$training$class_weights, "balanced")
  expect_identical(rna$training$class_sampling, 0.5)
  token <- finetune(tiny_config(), p$counts[, idx], labels = p$cell_type[idx], epochs = 1, verbose = FALSE)
  expect_identical(token$training$class_weights, "balanced")
  a <- granja_atac(); cells <- seq(1, ncol(a$counts), by = 4)
  atac <- finetune(x = a$counts[, cells], labels = a$cell_type[cells], epochs = 1, verbose = FALSE)
  expect_identical(class(atac$config), c("scLM_atac_config", "scLM_config"))  # fewer than 2,000 cells
  expect_identical(atac$training$class_weights, "none")
  expect_identical(atac$training$class_sampling, 0)
  islands <- finetune(sctrans_config(modality = "atac", dim = 16), a$counts[, cells], labels = a$cell_type[cells],
                      epochs = 1, n_models = 1, verbose = FALSE)
  expect_identical(islands$training$class_sampling, 0)
  expect_identical(class(scLM:::default_config(rownames(a$counts), 2000)),
                   c("scLM_sctrans_config", "scLM_atac_config", "scLM_config"))
  expect_identical(class(scLM:::default_config(rownames(p$counts), 1e5)), c("scLM_sctrans_config", "scLM_config"))
  # Data given first by mistake: the error says how to call it.
  expect_error(finetune(p$counts[, idx], p$cell_type[idx]), "finetune\\(x = x, labels = labels\\)")
})

test_that("by default, references of more than 3,500 cells train for fewer epochs, under 500 for more", {
  expect_identical(scLM:::default_epochs(100), 60L)
  expect_identical(scLM:::default_epochs(213), 47L)  # 10,000 cell passes at least
  expect_identical(scLM:::default_epochs(500), 20L)
  expect_identical(scLM:::default_epochs(3500), 20L)
  expect_identical(scLM:::default_epochs(10335), 7L)
  expect_identical(scLM:::default_epochs(1e6), 5L)
  p <- pbmc3k(); idx <- small_split()$train[1:100]
  model <- finetune(tiny_config(), p$counts[, idx], labels = p$cell_type[idx], verbose = FALSE)
  expect_identical(model$training$epochs, 60L)
})

test_that("the best epoch is chosen from the first quarter of the epochs on", {
  # Labels with no signal: the validation loss is lowest before the model has learned anything
  # (it only overfits), as on a small reference whose few validation cells favour an untrained
  # model; the best epoch is still epoch 3 or later of 12, and early stopping waits for it.
  p <- pbmc3k(); idx <- small_split()$train[1:160]
  noise <- with_seed(5, sample(rep_len(c("a", "b", "c"), length(idx))))
  m <- finetune(tiny_config(), p$counts[, idx], labels = noise, epochs = 12, patience = 1, learning_rate = 5e-3,
                seed = 1, verbose = FALSE)
  expect_lt(which.min(m$history$val_loss), 3L)  # the lowest validation loss comes before epoch 3
  expect_gte(m$training$best_epoch, 3L)
  expect_gte(nrow(m$history), 3L)
})
