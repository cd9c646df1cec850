# Ctrl-C (SIGINT) during training stops it within seconds and returns a usable, saveable model,
# with or without the progress bar, in Rscript and in an interactive session.
interrupt_script <- function(dir, verbose) {
  c("pbmc <- readRDS(system.file('extdata', 'pbmc3k.rds', package = 'scLM'))",
    "model <- finetune(scLMConfig(n_features = 500, dim = 16, max_tokens = 64), pbmc$counts, pbmc$cell_type,",
    sprintf("                  epochs = 1000, patience = 1000, num_threads = 1, verbose = %s,", verbose),
    sprintf("                  checkpoint = '%s')", file.path(dir, "checkpoint")),
    sprintf("writeLines(format(Sys.time(), '%%OS3'), '%s')", file.path(dir, "stopped")),
    sprintf("save_model(model, '%s')", file.path(dir, "partial.scLM")),
    sprintf("writeLines(as.character(model$training$interrupted), '%s')", file.path(dir, "done")))
}

expect_partial_model <- function(dir, sent) {
  expect_true(wait_for(file.path(dir, "done"), 60))
  # training stops within a second; the unknown-score calibration is skipped
  expect_lt(as.numeric(difftime(file.info(file.path(dir, "stopped"))$mtime, sent, units = "secs")), 3)
  expect_identical(readLines(file.path(dir, "done")), "TRUE")
  partial <- load_model(file.path(dir, "partial.scLM"))
  expect_s3_class(partial, "scLM_model")
  expect_true(partial$training$interrupted)
  expect_gte(partial$training$best_epoch, 1L)
}

for (verbose in c(FALSE, TRUE)) {
  test_that(sprintf("SIGINT in Rscript stops training cleanly (verbose = %s)", verbose), {
    skip_on_os("windows")
    dir <- tempfile("sclm-sigint-"); dir.create(dir)
    pid_file <- start_rscript(dir, interrupt_script(dir, verbose))
    expect_true(wait_for(pid_file, 60))
    # The first checkpoint is written after the first epoch: training is under way.
    expect_true(wait_for(file.path(dir, "checkpoint"), 120))
    Sys.sleep(stats::runif(1, 0, 1))
    pid <- as.integer(readLines(pid_file))
    on.exit(tools::pskill(pid, tools::SIGKILL), add = TRUE)  # never leave a trainer behind
    sent <- Sys.time()
    tools::pskill(pid, tools::SIGINT)
    expect_partial_model(dir, sent)
  })
}

test_that("Ctrl-C in an interactive R session returns the model with the progress bar on", {
  skip_on_os("windows")
  skip_if(!nzchar(Sys.which("tmux")), "tmux is not installed")
  dir <- tempfile("sclm-ctrlc-"); dir.create(dir)
  script <- file.path(dir, "script.R")
  writeLines(c("suppressPackageStartupMessages(library(scLM))", interrupt_script(dir, TRUE)), script)
  session <- basename(dir)
  r <- sprintf("env R_LIBS=%s %s --no-save --no-restore --quiet", shQuote(paste(.libPaths(), collapse = ":")),
               file.path(R.home("bin"), "R"))
  system2("tmux", c("new-session", "-d", "-s", session, "-x", "160", "-y", "40", shQuote(r)))
  on.exit(system2("tmux", c("kill-session", "-t", session), stderr = FALSE), add = TRUE)
  system2("tmux", c("send-keys", "-t", session, shQuote(sprintf("source('%s')", script)), "Enter"))
  expect_true(wait_for(file.path(dir, "checkpoint"), 120))
  Sys.sleep(stats::runif(1, 0, 1))
  sent <- Sys.time()
  system2("tmux", c("send-keys", "-t", session, "C-c"))
  expect_partial_model(dir, sent)
  screen <- system2("tmux", c("capture-pane", "-p", "-t", session), stdout = TRUE)
  expect_true(any(grepl("interrupted", screen)), info = paste(screen, collapse = "\n"))
})
