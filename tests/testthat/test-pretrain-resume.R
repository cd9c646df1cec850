# A pretraining run killed outright (SIGKILL, no chance to clean up) resumes from its last
# checkpoint to exactly the result of an uninterrupted run.
test_that("pretraining killed with SIGKILL resumes to the uninterrupted result", {
  skip_on_os("windows")
  skip_on_cran()
  dir <- tempfile("sclm-resume-"); dir.create(dir)
  checkpoint <- file.path(dir, "run.ckpt")
  setup <- c(
    "suppressPackageStartupMessages(library(scLM))",
    "pbmc <- readRDS(system.file('extdata', 'pbmc3k.rds', package = 'scLM'))",
    "cells <- pbmc$counts[, 1:400]",
    "cfg <- scLMConfig(n_features = 200, max_tokens = 48, dim = 16, ff_dim = 32)")
  script <- file.path(dir, "pretrain.R")
  writeLines(c(setup,
               sprintf("writeLines(as.character(Sys.getpid()), '%s')", file.path(dir, "pid")),
               sprintf("enc <- pretrain(cells, cfg, epochs = 60, patience = 60, num_threads = 1, checkpoint = '%s', verbose = FALSE)", checkpoint),
               sprintf("writeLines('finished', '%s')", file.path(dir, "done"))), script)
  system2(file.path(R.home("bin"), "Rscript"), script, wait = FALSE, stdout = FALSE, stderr = FALSE,
          env = paste0("R_LIBS=", shQuote(paste(.libPaths(), collapse = .Platform$path.sep))))
  wait_for <- function(path, seconds) {
    deadline <- Sys.time() + seconds
    while (!file.exists(path) && Sys.time() < deadline) Sys.sleep(0.05)
    file.exists(path)
  }
  expect_true(wait_for(file.path(dir, "pid"), 60))
  expect_true(wait_for(checkpoint, 120))
  tools::pskill(as.integer(readLines(file.path(dir, "pid"))), tools::SIGKILL)
  Sys.sleep(0.5)
  skip_if(file.exists(file.path(dir, "done")), "the run finished before it could be killed")

  eval(parse(text = setup[-1]))
  resumed <- pretrain(cells, cfg, epochs = 60, patience = 60, num_threads = 1, checkpoint = checkpoint,
                      resume = TRUE, verbose = FALSE)
  uninterrupted <- pretrain(cells, cfg, epochs = 60, patience = 60, num_threads = 1, verbose = FALSE)
  expect_equal(resumed$history$train_loss, uninterrupted$history$train_loss)
  expect_equal(resumed$history$val_loss, uninterrupted$history$val_loss)
  q <- pbmc$counts[, 401:420]
  expect_equal(embed_cells(resumed, q, verbose = FALSE), embed_cells(uninterrupted, q, verbose = FALSE))
  expect_false(file.exists(paste0(checkpoint, ".tmp")))  # written next to it, then renamed
})
