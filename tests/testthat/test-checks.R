# Argument checks (R/checks.R): each names the argument and, where there is one, the fix.

test_that("numbers, flags, strings and choices are checked with the argument's name", {
  n_cells <- 2.5
  expect_error(scLM:::check_count(n_cells, 1L, 10L), "`n_cells` must be a whole number between 1 and 10, not \"2.5\"")
  expect_identical(scLM:::check_count(3, 1L), 3L)
  expect_error(scLM:::check_number(NA_real_, 0, 1, "rate"), "`rate` must be a number between 0 and 1")
  expect_error(scLM:::check_flag(NA, "verbose"), "`verbose` must be `TRUE` or `FALSE`")
  expect_error(scLM:::check_string("", "file"), "`file` must be a single non-empty string")
  expect_identical(scLM:::check_choice(c("a", "b"), c("a", "b"), "mode"), "a")
  expect_error(scLM:::check_choice("c", c("a", "b"), "mode"), "`mode` must be one of \"a\" or \"b\", not \"c\"")
  expect_error(scLM:::check_unknown(c("a", "b")), "`unknown` must be a single string or `NA`")
  expect_identical(scLM:::check_unknown(NA), NA)
})

test_that("feature names must be present, non-empty and unique", {
  expect_error(scLM:::check_feature_names(NULL, "x"), "`x` has no feature names")
  expect_error(scLM:::check_feature_names(c("a", NA), "x"), "1 empty or NA feature name")
  expect_error(scLM:::check_feature_names(c("a", "a"), "x"), "1 duplicated feature name.*make.unique")
})

test_that("devices and threads are checked against this machine", {
  expect_error(scLM:::check_device("tpu"), "`device` must be \"auto\", \"cpu\" or \"cuda\"")
  expect_error(scLM:::check_threads(scLM:::default_threads() + 1L), "more than the .* core")
  expect_identical(scLM:::resolved_device("cpu"), "cpu")
})
