# The scLM_model object (R/model.R): checks and printing.

test_that("models are checked and a pretrained encoder is no classifier", {
  encoder <- pretrained_model("human_rna_small")
  expect_error(scLM:::check_model(list(weights = 1)), "`model` must be an <scLM_model>.*finetune")
  expect_identical(scLM:::check_model(encoder), encoder)
  expect_error(scLM:::check_classifier(encoder), "pretrained encoder without cell-type labels.*finetune\\(model")
  expect_output(print(encoder), "pretrained encoder \\(bins tokens, masked \\+ contrastive objective\\)")
  expect_output(print(encoder), "top 256 features per cell")
})
