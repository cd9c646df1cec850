# A pretraining run killed outright (SIGKILL, no chance to clean up) at a random point resumes
# from its last checkpoint to exactly the result of an uninterrupted run.
test_that("pretraining killed with SIGKILL resumes to the uninterrupted result", {
  skip_on_os("windows")
  skip_on_cran()
  dir <- tempfile("sclm-resume-"); dir.create(dir)
  checkpoint <- file.path(dir, "run.ckpt")
  setup <- c(
    "pbmc <- readRDS(system.file('extdata', 'pbmc3k.rds', package = 'scLM'))",
    "cells <- pbmc$counts[, 1:400]",
    "cfg <- scLMConfig(n_features = 200, max_tokens = 48, dim = 16, ff_dim = 32)")
  kill_during_training(dir, c(setup,
    sprintf("enc <- pretrain(cells, cfg, epochs = 60, patience = 60, num_threads = 1, checkpoint = '%s', verbose = FALSE)", checkpoint)),
    checkpoint, max_delay = 1)  # a random point: mid-epoch or mid-write

  eval(parse(text = setup))
  resumed <- pretrain(cells, cfg, epochs = 60, patience = 60, num_threads = 1, checkpoint = checkpoint,
                      resume = TRUE, verbose = FALSE)
  uninterrupted <- pretrain(cells, cfg, epochs = 60, patience = 60, num_threads = 1, verbose = FALSE)
  expect_equal(resumed$history$train_loss, uninterrupted$history$train_loss)
  expect_equal(resumed$history$val_loss, uninterrupted$history$val_loss)
  expect_identical(resumed$encoder_weights, uninterrupted$encoder_weights)
  q <- pbmc$counts[, 401:420]
  expect_equal(embed_cells(resumed, q, verbose = FALSE), embed_cells(uninterrupted, q, verbose = FALSE))
  expect_false(file.exists(paste0(checkpoint, ".tmp")))  # written next to it, then renamed
})
