# Data-parallel fine-tuning on this machine: the `make demo` training (standard pbmc3k split,
# default settings, 10 epochs, global batch 32) in one process with 2 threads vs two processes
# of 1 thread on Gloo over loopback; wall time and held-out macro-F1 of each.
#   Rscript bench/data_parallel.R   (after `make install`; ~3 min on 2 cores)
suppressPackageStartupMessages(library(scLM))
source("inst/scripts/standard_split.R")
work <- tempfile("data_parallel"); dir.create(work)
script <- file.path(work, "train.R")
writeLines(c(
  "suppressPackageStartupMessages(library(scLM))",
  "source('inst/scripts/standard_split.R')",
  "pbmc <- readRDS(system.file('extdata', 'pbmc3k.rds', package = 'scLM'))",
  "split <- stratified_split(pbmc$cell_type)",
  "threads <- as.integer(Sys.getenv('SCLM_THREADS'))",
  "t0 <- proc.time()[['elapsed']]",
  "model <- finetune(scLMConfig(), pbmc$counts[, split$train], pbmc$cell_type[split$train], epochs = 10, seed = 1,",
  "                  num_threads = threads, verbose = FALSE)",
  "seconds <- proc.time()[['elapsed']] - t0",
  "if (distributed_config()$rank == 0) {",
  "  pred <- annotate_cells(model, pbmc$counts[, split$test], verbose = FALSE)$labels",
  "  cat(sprintf('%.1f\\t%.3f\\t%.4f\\n', seconds, macro_f1(pbmc$cell_type[split$test], pred), mean(pred == pbmc$cell_type[split$test])))",
  "}"), script)
run <- function(processes, threads) {
  port <- 20000L + sample.int(20000L, 1L)
  outs <- file.path(work, sprintf("out_%d_%d", processes, 0:(processes - 1)))
  for (r in seq_len(processes) - 1L) {
    env <- c(sprintf("SCLM_THREADS=%d", threads), sprintf("RANK=%d", r), sprintf("WORLD_SIZE=%d", processes),
             "MASTER_ADDR=127.0.0.1", sprintf("MASTER_PORT=%d", port))
    system2("Rscript", script, stdout = outs[r + 1], stderr = FALSE, wait = r == processes - 1L, env = env)
  }
  while (!length(readLines(outs[1], warn = FALSE))) Sys.sleep(0.5)
  v <- as.numeric(strsplit(readLines(outs[1])[1], "\t")[[1]])
  data.frame(processes = processes, threads_each = threads, train_seconds = v[1], macro_f1 = v[2], accuracy = v[3])
}
res <- rbind(run(1, 2), run(2, 1))
print(res)
out <- "bench/results/data_parallel.tsv"
writeLines(sprintf("# %s; %d cores; pbmc3k standard split, scLMConfig(), 10 epochs, global batch 32, seed 1; Gloo on loopback",
                   format(Sys.Date()), parallel::detectCores()), out)
suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
