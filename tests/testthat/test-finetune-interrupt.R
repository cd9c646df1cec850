# Ctrl-C (SIGINT) during training stops it within seconds and returns a usable, saveable model.
test_that("SIGINT stops training cleanly and the partial model can be saved", {
  skip_on_os("windows")
  dir <- tempfile("sclm-sigint-"); dir.create(dir)
  pid_file <- start_rscript(dir, c(
    "pbmc <- readRDS(system.file('extdata', 'pbmc3k.rds', package = 'scLM'))",
    "model <- finetune(scLMConfig(n_features = 500, dim = 16, max_tokens = 64), pbmc$counts, pbmc$cell_type,",
    "                  epochs = 1000, patience = 1000, num_threads = 1, verbose = FALSE,",
    sprintf("                  checkpoint = '%s')", file.path(dir, "checkpoint")),
    sprintf("writeLines(format(Sys.time(), '%%OS3'), '%s')", file.path(dir, "stopped")),
    sprintf("save_model(model, '%s')", file.path(dir, "partial.scLM")),
    sprintf("writeLines(as.character(model$training$interrupted), '%s')", file.path(dir, "done"))))
  expect_true(wait_for(pid_file, 60))
  # The first checkpoint is written after the first epoch: training is under way.
  expect_true(wait_for(file.path(dir, "checkpoint"), 120))
  Sys.sleep(stats::runif(1, 0, 1))
  pid <- as.integer(readLines(pid_file))
  on.exit(tools::pskill(pid, tools::SIGKILL), add = TRUE)  # never leave a trainer behind
  sent <- Sys.time()
  tools::pskill(pid, tools::SIGINT)
  expect_true(wait_for(file.path(dir, "done"), 60))
  expect_lt(as.numeric(difftime(file.info(file.path(dir, "stopped"))$mtime, sent, units = "secs")), 3)
  expect_identical(readLines(file.path(dir, "done")), "TRUE")
  partial <- load_model(file.path(dir, "partial.scLM"))
  expect_s3_class(partial, "scLM_model")
  expect_true(partial$training$interrupted)
})
