# Runs an R script in a separate Rscript process (so it can be killed or interrupted), with this
# session's library paths. Returns the file the script writes its process id to.
start_rscript <- function(dir, lines) {
  pid_file <- file.path(dir, "pid")
  script <- file.path(dir, "script.R")
  writeLines(c("suppressPackageStartupMessages(library(scLM))",
               sprintf("writeLines(as.character(Sys.getpid()), '%s')", pid_file), lines), script)
  system2(file.path(R.home("bin"), "Rscript"), script, wait = FALSE, stdout = FALSE, stderr = FALSE,
          env = paste0("R_LIBS=", shQuote(paste(.libPaths(), collapse = .Platform$path.sep))))
  pid_file
}

wait_for <- function(path, seconds) {
  deadline <- Sys.time() + seconds
  while (!file.exists(path) && Sys.time() < deadline) Sys.sleep(0.05)
  file.exists(path)
}

# Runs `lines` in an Rscript and kills it with SIGKILL (no chance to clean up) at a random moment
# up to `max_delay` seconds after its first checkpoint appears. Skips the calling test when the
# run finished before it could be killed.
kill_during_training <- function(dir, lines, checkpoint, max_delay) {
  done <- file.path(dir, "done")
  pid_file <- start_rscript(dir, c(lines, sprintf("writeLines('finished', '%s')", done)))
  testthat::expect_true(wait_for(pid_file, 60))
  testthat::expect_true(wait_for(checkpoint, 120))
  Sys.sleep(stats::runif(1, 0, max_delay))
  tools::pskill(as.integer(readLines(pid_file)), tools::SIGKILL)
  Sys.sleep(0.5)
  testthat::skip_if(file.exists(done), "the run finished before it could be killed")
}
