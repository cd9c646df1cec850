# Fine-tuning killed with SIGKILL at a random point and restarted with resume = TRUE ends with
# the same weights, history and predictions as an uninterrupted run with the same seed.
test_that("fine-tuning killed with SIGKILL resumes to the uninterrupted result", {
  skip_on_os("windows")
  skip_on_cran()
  dir <- tempfile("sclm-finetune-resume-"); dir.create(dir)
  checkpoint <- file.path(dir, "run.ckpt")
  setup <- c(
    "pbmc <- readRDS(system.file('extdata', 'pbmc3k.rds', package = 'scLM'))",
    "cells <- pbmc$counts[, seq(1, 2000, by = 4)]; types <- pbmc$cell_type[seq(1, 2000, by = 4)]",
    "cfg <- scLMConfig(n_features = 300, max_tokens = 48, dim = 16, ff_dim = 32)")
  fit <- "finetune(cfg, cells, types, epochs = 40, patience = 40, seed = 7, num_threads = 1, verbose = FALSE"
  kill_during_training(dir, c(setup, sprintf("model <- %s, checkpoint = '%s')", fit, checkpoint)), checkpoint,
                       max_delay = 1.5)
  expect_false(file.exists(paste0(checkpoint, ".tmp")) && !file.exists(checkpoint))

  eval(parse(text = setup))
  resumed <- eval(parse(text = sprintf("%s, checkpoint = '%s', resume = TRUE)", fit, checkpoint)))
  uninterrupted <- eval(parse(text = paste0(fit, ")")))
  expect_identical(resumed$weights, uninterrupted$weights)
  expect_identical(resumed$history[, c("epoch", "train_loss", "val_loss", "val_accuracy")],
                   uninterrupted$history[, c("epoch", "train_loss", "val_loss", "val_accuracy")])
  q <- pbmc$counts[, 2001:2100]
  expect_identical(annotate_cells(resumed, q, verbose = FALSE)$probabilities,
                   annotate_cells(uninterrupted, q, verbose = FALSE)$probabilities)
})
