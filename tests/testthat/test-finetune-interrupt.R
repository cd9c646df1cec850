# Ctrl-C (SIGINT) during training stops it within seconds and returns a usable, saveable model.
test_that("SIGINT stops training cleanly and the partial model can be saved", {
  skip_on_os("windows")
  dir <- tempfile("sclm-sigint-"); dir.create(dir)
  script <- file.path(dir, "train.R")
  writeLines(c(
    "suppressPackageStartupMessages(library(scLM))",
    "pbmc <- readRDS(system.file('extdata', 'pbmc3k.rds', package = 'scLM'))",
    sprintf("writeLines(as.character(Sys.getpid()), '%s')", file.path(dir, "pid")),
    "model <- finetune(scLMConfig(n_features = 500, dim = 16, max_tokens = 64), pbmc$counts, pbmc$cell_type,",
    "                  epochs = 1000, patience = 1000, num_threads = 1, verbose = FALSE,",
    sprintf("                  checkpoint = '%s')", file.path(dir, "checkpoint")),
    sprintf("save_model(model, '%s')", file.path(dir, "partial.scLM")),
    sprintf("writeLines(as.character(model$training$interrupted), '%s')", file.path(dir, "done"))
  ), script)
  withr_libs <- paste(.libPaths(), collapse = .Platform$path.sep)
  system2(file.path(R.home("bin"), "Rscript"), script, wait = FALSE, stdout = FALSE, stderr = FALSE,
          env = paste0("R_LIBS=", shQuote(withr_libs)))
  wait_for <- function(path, seconds) {
    deadline <- Sys.time() + seconds
    while (!file.exists(path) && Sys.time() < deadline) Sys.sleep(0.2)
    file.exists(path)
  }
  expect_true(wait_for(file.path(dir, "pid"), 60))
  # The first checkpoint is written after the first epoch: training is under way.
  expect_true(wait_for(file.path(dir, "checkpoint"), 120))
  pid <- as.integer(readLines(file.path(dir, "pid")))
  on.exit(tools::pskill(pid, tools::SIGKILL), add = TRUE)  # never leave a trainer behind
  sent <- Sys.time()
  tools::pskill(pid, tools::SIGINT)
  expect_true(wait_for(file.path(dir, "done"), 60))
  expect_lt(as.numeric(difftime(Sys.time(), sent, units = "secs")), 30)
  expect_identical(readLines(file.path(dir, "done")), "TRUE")
  expect_s3_class(load_model(file.path(dir, "partial.scLM")), "scLM_model")
})
