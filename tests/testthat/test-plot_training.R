test_that("plot_training draws the model's history", {
  model <- small_model()
  p <- plot_training(model)
  d <- p$data
  h <- model$history
  expect_equal(nrow(d), 4 * nrow(h))
  expect_equal(d$value[d$metric == "loss" & d$split == "validation"], h$val_loss)
  expect_equal(d$value[d$metric == "accuracy" & d$split == "training"], h$train_accuracy)
  expect_match(p$labels$subtitle, sprintf("best epoch \\(%d\\)", model$training$best_epoch))
  expect_silent(ggplot2::ggplot_build(p))
})

test_that("plot_training leaves out validation curves a run did not have", {
  p <- pbmc3k()
  cells <- small_split()$train[1:150]
  model <- finetune(tiny_config(), p$counts[, cells], p$cell_type[cells], epochs = 2, validation_fraction = 0,
                    seed = 1, verbose = FALSE)
  expect_equal(unique(plot_training(model)$data$split), "training")
  expect_error(plot_training(list()), "scLM_model")
})
