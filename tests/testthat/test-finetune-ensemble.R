# finetune(n_models =): an ensemble of the models of seeds seed, seed + 1, ... whose logits
# annotate_cells() averages.
ensemble_data <- function() {
  p <- pbmc3k(); s <- small_split(); idx <- s$train[1:240]
  list(x = p$counts[, idx], labels = p$cell_type[idx], query = query_counts(60))
}
fit_ensemble <- function(d, ...) {
  finetune(tiny_config(), d$x, labels = d$labels, epochs = 2, device = "cpu", verbose = FALSE, ...)
}

test_that("each model of an ensemble is the model finetune() trains with its seed", {
  d <- ensemble_data()
  ensemble <- fit_ensemble(d, n_models = 2, seed = 4, num_threads = 2)  # side by side, one thread each
  expect_length(ensemble$members, 1L)
  expect_identical(ensemble$weights, fit_ensemble(d, seed = 4, num_threads = 1)$weights)
  expect_identical(ensemble$members[[1]], fit_ensemble(d, seed = 5, num_threads = 1)$weights)
  expect_identical(fit_ensemble(d, n_models = 2, seed = 4, num_threads = 1)$members, ensemble$members)  # one after another
  expect_identical(ensemble$training$n_models, 2L)
  expect_false(identical(ensemble$id, fit_ensemble(d, seed = 4)$id))
  expect_output(print(summary(ensemble)), "ensemble: +2 models \\(seeds 4 to 5")
  expect_output(print(ensemble), "an ensemble of 2 models, epochs of the first")
  expect_identical(fit_ensemble(d, n_models = 2, seed = 4, num_threads = 2)$members, ensemble$members)  # deterministic
})

test_that("annotate_cells() averages the ensemble's logits (checked against its models one by one)", {
  d <- ensemble_data()
  ensemble <- fit_ensemble(d, n_models = 3, seed = 2)
  single <- function(weights) {
    m <- ensemble
    m$members <- NULL
    m$weights <- weights
    annotate_cells(m, d$query, unknown_method = "max_prob", verbose = FALSE)$probabilities
  }
  log_probs <- lapply(scLM:::classifier_weights(ensemble), function(w) log(single(w)))
  mean_log <- Reduce(`+`, log_probs) / 3
  expected <- exp(mean_log) / rowSums(exp(mean_log))  # softmax of the mean logits
  got <- annotate_cells(ensemble, d$query, verbose = FALSE)
  expect_equal(unname(got$probabilities), unname(expected), tolerance = 1e-5)
  expect_identical(got$labels, colnames(expected)[max.col(expected, ties.method = "first")])
  # the default unknown score was calibrated and scores the query
  expect_false(anyNA(got$unknown.score))
  # the model-based scores are the first model's, calibrated on its held-out cells
  first <- ensemble
  first$members <- NULL
  for (method in c("energy", "mahalanobis")) {
    expect_equal(annotate_cells(ensemble, d$query, unknown_method = method, verbose = FALSE)$unknown.score,
                 annotate_cells(first, d$query, unknown_method = method, verbose = FALSE)$unknown.score, tolerance = 1e-6)
  }
  expect_false(isTRUE(all.equal(got$probabilities, annotate_cells(first, d$query, verbose = FALSE)$probabilities)))
})

test_that("an ensemble survives save_model() / load_model(); a damaged one is refused", {
  d <- ensemble_data()
  ensemble <- fit_ensemble(d, n_models = 2, seed = 1)
  path <- tempfile(fileext = ".scLM")
  save_model(ensemble, path)
  loaded <- load_model(path)
  expect_identical(loaded$members, ensemble$members)
  expect_identical(annotate_cells(loaded, d$query, verbose = FALSE)$probabilities,
                   annotate_cells(ensemble, d$query, verbose = FALSE)$probabilities)
  broken <- ensemble
  broken$members <- list(as.raw(1:10))
  save_model(broken, path)
  expect_error(load_model(path), "not a valid scLM model file")
  broken$members <- list("weights")
  save_model(broken, path)
  expect_error(load_model(path), "ensemble's models are not classifier weights")
})

test_that("n_models is checked, and an ensemble takes no checkpoint", {
  d <- ensemble_data()
  expect_error(fit_ensemble(d, n_models = 0), "n_models.*between 1 and 10")
  expect_error(fit_ensemble(d, n_models = 1.5), "n_models")
  expect_error(fit_ensemble(d, n_models = 2, checkpoint = tempfile()), "no .*checkpoint")
})
