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
