test_that("the backend reports LibTorch and CUDA availability", {
  info <- scLM_backend()
  expect_match(info$torch_version, "^[0-9]+\\.[0-9]+")
  expect_type(info$cuda_available, "logical")
  expect_gte(info$num_threads, 1)
})
