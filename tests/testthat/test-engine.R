# The engine (R/engine.R), the only caller of the compiled code: stores, error mapping.

test_that("a store of training cells of one kind is never read as the other", {
  q <- query_counts(5)
  tokens <- scLM:::engine_cell_store(scLMConfig(n_features = nrow(q)))
  config <- sctrans_config(n_features = nrow(q), features = rownames(q), scales = c(2L, 4L))
  expect_error(scLM:::engine_store_cells(tokens, q, seq_len(nrow(q)) - 1L, config, 0), "store of levels")
  expect_error(scLM:::sclm_store_levels(scLM:::sclm_token_store(), q, seq_len(nrow(q)) - 1L, nrow(q), 1e4),
               "store of levels")
  expect_error(scLM:::sclm_store_tokens(scLM:::sclm_level_store(), q, seq_len(nrow(q)) - 1L, nrow(q),
                                        scLM:::engine_tokenizer_settings(scLMConfig()), 0),
               "store of tokens")
})

test_that("core errors become R errors of the verb; R errors pass through unchanged", {
  verb <- function() scLM:::engine_call(stop("tensor shape mismatch"))
  expect_error(verb(), "The scLM engine stopped.*tensor shape mismatch")
  expect_error(scLM:::engine_call(cli::cli_abort("an R error")), "^an R error$")
  expect_warning(scLM:::engine_call(warning("LibTorch: slow path")), "LibTorch: slow path")
})

test_that("a Ctrl-C inside a training callback is caught and reported to the engine", {
  state <- new.env(); state$interrupted <- FALSE
  ran <- 0
  step <- scLM:::catch_interrupt(function(...) ran <<- ran + 1, state)
  expect_false(step(1, 10))
  interrupting <- scLM:::catch_interrupt(function(...) signalCondition(structure(class = c("interrupt", "condition"), list())), state)
  expect_true(interrupting(2, 10))  # no R interrupt escapes, the engine learns of it
  expect_true(step(3, 10))           # and every later callback says so
  expect_identical(ran, 2)
  for (verbose in c(FALSE, TRUE)) expect_false(scLM:::engine_progress(verbose, 1)$on_step(1, 10))
})

test_that("an interrupted training warns that calibration was skipped, or errors without a model", {
  fit <- list(interrupted = TRUE, best_epoch = 2L, history = data.frame(epoch = 1:3))
  expect_warning(scLM:::engine_report_interrupt(fit), "after 3 epochs.*epoch 2.*calibration was skipped")
  fit$best_epoch <- 0L
  expect_error(scLM:::engine_report_interrupt(fit), "before its first epoch ended: nothing was trained",
               class = "scLM_interrupted")
  expect_silent(scLM:::engine_report_interrupt(list(interrupted = FALSE)))
})
