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
