test_that("missing, corrupt and altered model files are clear errors", {
  expect_error(load_model(tempfile()), "does not exist")
  junk <- tempfile(); writeBin(as.raw(1:200), junk)
  expect_error(load_model(junk), "not a valid scLM model file")
  other <- tempfile(); saveRDS(list(a = 1), other)
  expect_error(load_model(other), "not an scLM model")

  path <- tempfile(fileext = ".scLM")
  save_model(small_model(), path)
  bytes <- readBin(path, "raw", file.size(path))
  truncated <- tempfile(); writeBin(bytes[seq_len(length(bytes) %/% 2)], truncated)
  expect_error(load_model(truncated), "not a valid scLM model file")

  payload <- readRDS(path)
  payload$model$weights[500] <- as.raw(bitwXor(as.integer(payload$model$weights[500]), 1L))
  altered <- tempfile(); saveRDS(payload, altered)
  expect_error(load_model(altered), "checksum")

  payload <- readRDS(path)
  payload$model$config$dim <- 64L
  reshaped <- tempfile(); saveRDS(payload, reshaped)
  expect_error(load_model(reshaped), "do not fit|wrong shape")
})
