# The engine (R/engine.R), the only caller of the compiled code: stores, error mapping.

test_that("a store of training cells is only read by a model of its family", {
  q <- query_counts(5)
  map <- seq_len(nrow(q)) - 1L
  token_cfg <- scLMConfig(dim = 16, n_layers = 1)
  token_cfg$features <- rownames(q)
  sctrans_cfg <- sctrans_config(n_features = 256, scales = c(16, 32), dim = 16)
  sctrans_cfg$features <- rownames(q)
  store_of <- function(cfg) {
    store <- scLM:::engine_cell_store(cfg)
    expect_equal(scLM:::engine_store_cells(store, q, map, 0), 5L)
    store
  }
  train <- scLM:::train_settings(1L, 4L, 1e-3, 0, 0, 1L, 1L, 1L, "cpu", NULL, FALSE, distributed_config(), FALSE, "fp32")
  expect_error(scLM:::engine_train(store_of(token_cfg), sctrans_cfg, c(0L, 1L, 0L, 1L, 0L), 2L, list(train), FALSE),
               "stored as tokens")
  expect_error(scLM:::engine_train(store_of(sctrans_cfg), token_cfg, c(0L, 1L, 0L, 1L, 0L), 2L, list(train), FALSE),
               "stored as expression levels")
  expect_error(scLM:::engine_store_cells(new.env(), q, map, 0), "expected a store of cells")
})

test_that("the engine describes every settings list, and R's lists name exactly its fields", {
  schema <- scLM:::engine_schema()
  expect_setequal(names(schema), c("model", "subvectors", "tokenizer", "train", "distributed", "pretrain", "run"))
  for (kind in names(schema)) {
    expect_named(schema[[kind]], c("name", "type", "default", "min", "max", "choices"))
    expect_false(anyDuplicated(schema[[kind]]$name) > 0)
  }
  expect_equal(schema$model$choices[[match("attention", schema$model$name)]], c("full", "performer", "linformer"))
  cfg <- scLMConfig()
  cfg$features <- paste0("g", 1:10)
  expect_setequal(names(scLM:::engine_model_settings(cfg, 2L)), schema$model$name)
  expect_setequal(names(scLM:::engine_tokenizer_settings(cfg)), schema$tokenizer$name)
  expect_setequal(names(scLM:::engine_settings("train", list())), schema$train$name)
  expect_equal(scLM:::engine_settings("pretrain", list(mask_fraction = 0.5))$temperature, 0.1)
})

test_that("a settings list with a missing, unknown, mistyped or out-of-range field is an error naming it", {
  cfg <- scLMConfig()
  cfg$features <- paste0("g", 1:10)
  model <- scLM:::engine_model_settings(cfg, 2L)
  tokenizer <- scLM:::engine_tokenizer_settings(cfg)
  read_model <- function(model) scLM:::sclm_validate_weights(raw(0), raw(0), model, tokenizer)
  expect_error(read_model(modifyList(model, list(attention = "fulll"))),
               "model setting `attention`: \"fulll\" is not one of \"full\", \"performer\", \"linformer\"", fixed = TRUE)
  expect_error(read_model(modifyList(model, list(head = "svm"))), "model setting `head`", fixed = TRUE)
  expect_error(read_model(model[setdiff(names(model), "dim")]), "model setting `dim` is missing", fixed = TRUE)
  expect_error(read_model(c(model, list(dimm = 2L))), "model setting `dimm` is unknown", fixed = TRUE)
  expect_error(read_model(modifyList(model, list(dropout = 1))), "model setting `dropout`: 1 is not in [0, 1)", fixed = TRUE)
  expect_error(read_model(modifyList(model, list(n_layers = 1.5))), "`n_layers`: 1.5 is not a whole number", fixed = TRUE)
  expect_error(read_model(modifyList(model, list(share_projection = "no"))), "`share_projection`: expected TRUE or FALSE")
  expect_error(read_model(modifyList(model, list(subvectors = list(scales = 16L)))), "subvectors setting `light_layers` is missing",
               fixed = TRUE)
})

test_that("pretrain()'s temperature reaches the engine", {
  p <- pbmc3k()
  cfg <- scLMConfig(n_features = 300, max_tokens = 48, dim = 16)
  fit <- function(t) pretrain(p$counts[, 1:120], cfg, epochs = 1, temperature = t, seed = 3, verbose = FALSE)$history
  expect_false(identical(fit(0.1)$train_loss, fit(0.5)$train_loss))
  expect_error(pretrain(p$counts[, 1:120], cfg, temperature = 0), "temperature")
})

test_that("core errors become R errors of the verb; R errors pass through unchanged", {
  verb <- function() scLM:::engine_call(stop("tensor shape mismatch"))
  expect_error(verb(), "The scLM engine stopped.*tensor shape mismatch")
  expect_error(scLM:::engine_call(cli::cli_abort("an R error")), "^an R error$")
  expect_warning(scLM:::engine_call(warning("LibTorch: slow path")), "LibTorch: slow path")
})

# A one-block token model over the genes of 20 query cells, and a store of those cells for it.
tiny_token_config <- function() {
  cfg <- scLMConfig(dim = 16, n_layers = 1)
  cfg$features <- rownames(query_counts(20))
  cfg
}
tiny_token_store <- function(cfg) {
  q <- query_counts(20)
  store <- scLM:::engine_cell_store(cfg)
  scLM:::engine_store_cells(store, q, seq_len(nrow(q)) - 1L, 0)
  store
}

test_that("a Ctrl-C while R runs a training callback stops training and keeps the best weights", {
  skip_on_os("windows")
  cfg <- tiny_token_config()
  store <- tiny_token_store(cfg)
  train <- scLM:::train_settings(5L, 4L, 1e-3, 0, 0, 5L, 1L, 1L, "cpu", NULL, FALSE, distributed_config(), FALSE, "fp32")
  steps <- 0L
  on_step <- function(step, total) {
    steps <<- step
    if (step == 7L) {  # in the second epoch of five steps
      tools::pskill(Sys.getpid(), tools::SIGINT)
      x <- 0
      for (i in 1:1e6) x <- x + i  # R checks for interrupts in loops: without the glue's hold it would raise here
    }
  }
  fits <- tryCatch(
    scLM:::sclm_train_classifiers(store, rep(0:1, 10), scLM:::engine_model_settings(cfg, 2L),
                                  scLM:::engine_tokenizer_settings(cfg), list(scLM:::engine_settings("train", train)),
                                  on_step, function(s) NULL),
    interrupt = function(e) "the interrupt escaped the callback")
  expect_type(fits, "list")
  fit <- fits[[1]]
  expect_true(fit$interrupted)
  expect_identical(steps, 7L)  # no later step ran
  expect_identical(fit$best_epoch, 1L)
  expect_identical(nrow(fit$history), 1L)
})

test_that("a Ctrl-C stops an ensemble's models training side by side, and each keeps its best weights", {
  skip_on_os("windows")
  cfg <- tiny_token_config()
  store <- tiny_token_store(cfg)
  train <- scLM:::train_settings(200L, 4L, 1e-3, 0, 0, 200L, 1L, 2L, "cpu", NULL, FALSE, distributed_config(), FALSE, "fp32")
  members <- lapply(1:2, function(i) scLM:::engine_settings("train", utils::modifyList(train, list(seed = i))))
  epochs <- list()
  sent <- FALSE
  on_epoch <- function(s) {  # the Ctrl-C once both models have reported (on a busy machine one may start late)
    epochs[[length(epochs) + 1L]] <<- s
    both <- length(unique(vapply(epochs, `[[`, numeric(1), "model"))) == 2L
    if (!sent && length(epochs) >= 4L && (both || length(epochs) >= 100L)) {
      sent <<- TRUE
      tools::pskill(Sys.getpid(), tools::SIGINT)
    }
  }
  fits <- tryCatch(
    scLM:::sclm_train_classifiers(store, rep(0:1, 10), scLM:::engine_model_settings(cfg, 2L),
                                  scLM:::engine_tokenizer_settings(cfg), members, function(step, total) NULL, on_epoch),
    interrupt = function(e) "the interrupt escaped the callback")
  expect_type(fits, "list")
  expect_length(fits, 2L)
  for (fit in fits) {
    expect_true(fit$interrupted)
    expect_lt(nrow(fit$history), 200L)
  }
  expect_setequal(vapply(epochs, `[[`, numeric(1), "model"), c(1, 2))  # both ran, each epoch says whose
})

test_that("an interrupted ensemble keeps the models before the first without an epoch, and says so", {
  fit <- function(best, interrupted = TRUE) list(interrupted = interrupted, best_epoch = best, history = data.frame(epoch = seq_len(3)))
  done <- list(fit(3L, FALSE), fit(2L, FALSE), fit(3L, FALSE))
  expect_silent(kept <- scLM:::engine_kept_fits(done, 3L))
  expect_length(kept, 3L)
  expect_warning(expect_warning(kept <- scLM:::engine_kept_fits(list(fit(2L), fit(0L), fit(1L)), 3L), "epoch 2"),
                 "keeps 1")
  expect_length(kept, 1L)
  expect_warning(expect_warning(kept <- scLM:::engine_kept_fits(list(fit(3L, FALSE), fit(2L)), 3L),
                                "after 3 epochs.*epoch 2"), "before model 3 of 3.*keeps 2")
  expect_length(kept, 2L)
  expect_warning(scLM:::engine_kept_fits(list(fit(3L, FALSE), fit(3L, FALSE), fit(1L)), 3L), "calibration was skipped")
  expect_error(scLM:::engine_kept_fits(list(fit(0L), fit(2L)), 2L), "nothing was trained", class = "scLM_interrupted")
})

test_that("an interrupted training warns that calibration was skipped, or errors without a model", {
  fit <- list(interrupted = TRUE, best_epoch = 2L, history = data.frame(epoch = 1:3))
  expect_warning(scLM:::engine_report_interrupt(fit, "; the unknown-cell calibration was skipped"),
                 "after 3 epochs.*epoch 2.*calibration was skipped")
  fit$best_epoch <- 0L
  expect_error(scLM:::engine_report_interrupt(fit), "before its first epoch ended: nothing was trained",
               class = "scLM_interrupted")
  expect_silent(scLM:::engine_report_interrupt(list(interrupted = FALSE)))
})
