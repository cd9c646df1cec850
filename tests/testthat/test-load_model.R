# Model files are data: damaged, altered or crafted files are clear errors, never a crash.
saved_model_bytes <- function() {
  path <- tempfile(fileext = ".scLM")
  save_model(small_model(), path)
  readBin(path, "raw", file.size(path))
}
write_raw <- function(bytes) { f <- tempfile(); writeBin(bytes, f); f }
# A file a forger wrote with the format's own encoder: the checksum is valid, the content is not.
crafted <- function(edit) {
  payload <- scLM:::sclm_decode_data(saved_model_bytes())
  write_raw(scLM:::sclm_encode_data(edit(payload)))
}

test_that("missing, foreign, truncated and altered model files are clear errors", {
  expect_error(load_model(tempfile()), "does not exist")
  expect_error(load_model(write_raw(as.raw(1:200))), "not a valid scLM model file")
  rds <- tempfile(); saveRDS(small_model(), rds)
  expect_error(load_model(rds), "not an scLM model file")
  expect_error(load_model(tempdir()), "cannot be read")

  bytes <- saved_model_bytes()
  for (n in c(0L, 10L, 14L, length(bytes) %/% 2L, length(bytes) - 1L)) {
    expect_error(load_model(write_raw(bytes[seq_len(n)])), "not a valid scLM model file")
  }
  set.seed(3)
  for (k in sample(length(bytes), 20)) {
    altered <- bytes; altered[k] <- xor(altered[k], as.raw(0x20))
    expect_error(load_model(write_raw(altered)), "not a valid scLM model file")
  }
  altered <- bytes; altered[length(bytes) %/% 2L] <- xor(altered[length(bytes) %/% 2L], as.raw(1))
  expect_error(load_model(write_raw(altered)), "checksum")
})

test_that("crafted files with a valid checksum are checked field by field", {
  expect_error(load_model(crafted(function(p) { p$format_version <- 2L; p })), "format version 2")
  expect_error(load_model(crafted(function(p) { p$model$weights <- NULL; p })), "fields are missing")
  expect_error(load_model(crafted(function(p) { p$model$labels <- 1:3; p })), "wrong types")
  expect_error(load_model(crafted(function(p) { p$model$config$dim <- 64L; p })), "do not fit")
  expect_error(load_model(crafted(function(p) { p$model$config$dim <- 1e9; p })), "settings are invalid")
  expect_error(load_model(crafted(function(p) { p$model$config$n_heads <- 7L; p })), "settings are invalid")
  expect_error(load_model(crafted(function(p) { p$model$weights <- rev(p$model$weights); p })),
               "weights are not readable")
  expect_error(load_model(crafted(function(p) { attr(p$model, "srcref") <- 1; p })), "not part of an scLM model")
  # A token model of genes keeps its reference's gene levels too (annotate_cells(match_levels = TRUE)).
  expect_error(load_model(crafted(function(p) { p$model$gene_levels$means <- p$model$gene_levels$means[-1, ]; p })),
               "gene levels")
  expect_error(load_model(crafted(function(p) { p$model$gene_levels$n <- -p$model$gene_levels$n; p })), "gene levels")
  # ... and each reference gene's share of a cell's counts (annotate_cells() reads a query's totals by them).
  expect_error(load_model(crafted(function(p) { p$model$reference_shares[2] <- -1; p })), "gene shares")
  expect_error(load_model(crafted(function(p) { names(p$model$reference_shares) <- NULL; p })), "gene shares")
  expect_error(load_model(crafted(function(p) { p$model$reference_shares[] <- 0; p })), "gene shares")
})

test_that("models hold only plain data, so functions or environments cannot be saved", {
  m <- small_model()
  m$training$hook <- function() stop("never")
  expect_error(save_model(m, tempfile()), "closure")
  m <- small_model()
  m$training$env <- globalenv()
  expect_error(save_model(m, tempfile()), "environment")
})

test_that("the data format round-trips R's plain values exactly", {
  x <- list(a = c(1.5, NA, NaN, Inf), b = c(1L, NA), s = c("CD14", NA, "\u03b1"), l = c(TRUE, NA),
            r = as.raw(0:255), f = factor(c("B", "T", "B"), levels = c("T", "B", "NK")),
            m = matrix(1:6, 2, dimnames = list(c("x", "y"), NULL)), d = data.frame(u = 1:3, v = c("p", "q", "r")),
            n = NULL, nested = list(list(list(1))))
  back <- scLM:::sclm_decode_data(scLM:::sclm_encode_data(x))
  expect_identical(back, x)
  expect_identical(Encoding(back$s[3]), "UTF-8")
})

test_that("mutated files with a recomputed checksum decode to plain data or a clean error", {
  bytes <- scLM:::sclm_encode_data(list(a = factor(c("x", "y")), m = matrix(1:4, 2, dimnames = list(NULL, c("p", "q"))),
                                        d = data.frame(u = 1:2), w = small_model()$weights[1:64]))
  body <- bytes[seq_len(length(bytes) - 24L)]
  with_checksum <- function(b) c(b, as.raw(c(16, rep(0, 7))), charToRaw(scLM:::sclm_checksum(b)))
  expect_identical(with_checksum(body), bytes)
  set.seed(5)
  outcomes <- vapply(seq_len(400), function(i) {
    mutated <- body
    at <- sample(15:length(body), sample(1:3, 1))
    mutated[at] <- as.raw(sample(0:255, length(at), replace = TRUE))
    value <- tryCatch(scLM:::sclm_decode_data(with_checksum(mutated)), error = function(e) e)
    if (inherits(value, "error")) "error" else if (is.list(value)) "data" else "other"
  }, "")
  expect_true(all(outcomes %in% c("error", "data")))
  expect_true(any(outcomes == "error"))
})

test_that("a model from a newer scLM loads with a warning that says so", {
  m <- small_model()
  m$versions$scLM <- "99.0.0"
  path <- tempfile(fileext = ".scLM")
  save_model(m, path)
  expect_warning(loaded <- load_model(path), "made with scLM 99.0.0, newer than this scLM")
  expect_identical(loaded$weights, m$weights)
  expect_no_warning(load_model({ save_model(small_model(), path); path }))
})
