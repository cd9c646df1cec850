# OpenBLAS's kernels: scLM's runs on the kernels of the CPU's instruction set (its BlasKernelScope,
# util/blas_kernel.h) against OpenBLAS's SSE3 fallback ("Prescott", what OpenBLAS 0.3.21 runs on
# CPUs it does not know, and what scLM ran before). Each fit runs in a fresh R process, the two
# kinds in turns: OPENBLAS_CORETYPE=Prescott holds the fallback (scLM leaves a kernel the user
# chose alone), no OPENBLAS_CORETYPE lets scLM switch. The package defaults, fit and annotation
# timed as annotation_tasks.R times them.
#   Rscript bench/blas_kernel.R [task ...]   (after `make install`; default pbmc3k; rows appended
#   to bench/results/blas_kernel.tsv)
# env SCLM_BENCH_SEEDS (default 1,2,3).
source("bench/annotation_common.R")
args <- commandArgs(trailingOnly = TRUE)

if (length(args) && args[1] == "--child") {  # one fit: task, seed
  task <- selected_tasks(args[2])[[1]]()
  seed <- as.integer(args[3])
  t0 <- proc.time()[["elapsed"]]
  model <- default_model(task, seed)
  fit_s <- proc.time()[["elapsed"]] - t0
  pred <- suppressMessages(annotate_cells(model, task$test, verbose = FALSE))$labels
  speed <- mean(vapply(1:2, function(i) annotation_speed(model, task$test), numeric(1)))
  info <- scLM_backend()
  cat(sprintf("RESULT\t%s\t%s\t%.4f\t%.4f\t%.1f\t%.0f\n", info$blas_kernel, info$blas_kernel_for_runs,
              macro_f1(task$test_labels, pred), mean(pred == task$test_labels), fit_s, speed))
  quit(save = "no")
}

out <- "bench/results/blas_kernel.tsv"
tasks <- if (length(args)) args else "pbmc3k"
script <- "bench/blas_kernel.R"
kinds <- list(fallback = "OPENBLAS_CORETYPE=Prescott", switched = "-u OPENBLAS_CORETYPE")
for (name in tasks) {
  for (seed in bench_seeds()) {
    for (kind in names(kinds)) {
      lines <- system2("env", c(strsplit(kinds[[kind]], " ")[[1]], "Rscript", script, "--child", shQuote(name), seed),
                       stdout = TRUE)
      f <- strsplit(grep("^RESULT\t", lines, value = TRUE), "\t")[[1]]
      r <- data.frame(date = format(Sys.time(), "%Y-%m-%d %H:%M"), task = name, seed = seed, kind = kind,
                      blas_kernel = f[2], blas_kernel_for_runs = f[3], macro_f1 = as.numeric(f[4]),
                      accuracy = as.numeric(f[5]), fit_s = as.numeric(f[6]), cells_per_s = as.numeric(f[7]))
      print(r, row.names = FALSE)
      utils::write.table(r, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                         col.names = !file.exists(out))
    }
  }
}
