test_that("the backend reports LibTorch and CUDA availability", {
  info <- scLM_backend()
  expect_match(info$torch_version, "^[0-9]+\\.[0-9]+")
  expect_type(info$cuda_available, "logical")
  expect_gte(info$num_threads, 1)
})

test_that("scLM's runs use OpenBLAS's kernels for the CPU and leave R's BLAS as it was", {
  info <- scLM_backend()
  expect_type(info$blas_kernel, "character")
  expect_type(info$blas_kernel_for_runs, "character")
  if (identical(info$blas_kernel, "Prescott") && !nzchar(Sys.getenv("OPENBLAS_CORETYPE")) &&
      file.exists("/proc/cpuinfo") && any(grepl("\\bavx2\\b", readLines("/proc/cpuinfo", warn = FALSE)))) {
    expect_false(identical(info$blas_kernel_for_runs, "Prescott"))
  }
  pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
  cells <- seq(1, ncol(pbmc$counts), by = 8)
  model <- finetune(sctrans_config(n_features = 200), pbmc$counts[, cells], labels = pbmc$cell_type[cells],
                    epochs = 1, n_models = 1, verbose = FALSE)
  expect_identical(scLM_backend()$blas_kernel, info$blas_kernel)
})
