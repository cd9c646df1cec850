test_that("the engine describes every settings list, and R's lists name exactly its fields", {
  schema <- scLM:::sclm_config_schema()
  expect_setequal(names(schema), c("model", "subvectors", "tokenizer", "train", "distributed", "pretrain", "run"))
  for (kind in names(schema)) {
    expect_named(schema[[kind]], c("name", "type", "default", "min", "max", "choices"))
    expect_false(anyDuplicated(schema[[kind]]$name) > 0)
  }
  expect_equal(schema$model$choices[[match("attention", schema$model$name)]], c("full", "performer", "linformer"))
  cfg <- scLMConfig()
  cfg$features <- paste0("g", 1:10)
  expect_setequal(names(scLM:::core_model_config(cfg, 2L)), schema$model$name)
  expect_setequal(names(scLM:::core_tokenizer_config(cfg)), schema$tokenizer$name)
  expect_setequal(names(scLM:::core_settings("train", list())), schema$train$name)
  expect_equal(scLM:::core_settings("pretrain", list(mask_fraction = 0.5))$temperature, 0.1)
})

test_that("a settings list with a missing, unknown, mistyped or out-of-range field is an error naming it", {
  cfg <- scLMConfig()
  cfg$features <- paste0("g", 1:10)
  model <- scLM:::core_model_config(cfg, 2L)
  tokenizer <- scLM:::core_tokenizer_config(cfg)
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
