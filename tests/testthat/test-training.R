# Training settings shared by finetune() and pretrain() (R/training.R).

test_that("training settings are validated", {
  p <- pbmc3k(); m <- p$counts[, 1:50]; lab <- p$cell_type[1:50]
  expect_error(finetune(tiny_config(), m, lab, epochs = 0, verbose = FALSE), "epochs")
  expect_error(finetune(tiny_config(), m, lab, batch_size = 0, verbose = FALSE), "batch_size")
  expect_error(finetune(tiny_config(), m, lab, num_threads = 10000, verbose = FALSE), "num_threads")
  expect_error(finetune(tiny_config(), m, lab, device = "tpu", verbose = FALSE), "device")
  expect_error(finetune(tiny_config(), m, lab, precision = "fp16", verbose = FALSE), "precision")
  expect_error(finetune("config", m, lab, verbose = FALSE), "model_or_config")
})
