# Unknown-cell calibration (R/unknown.R): the cutoff of each score is the requested quantile of
# the scores of the held-out reference cells, checked against a pure-R computation on real
# logits, embeddings and counts of the small model's reference cells.

reference_outputs <- function() {
  model <- small_model(); p <- pbmc3k(); s <- small_split()
  counts <- p$counts[, s$train]
  map <- scLM:::feature_index(rownames(counts), model$features)
  run <- list(batch_size = 256L, num_threads = 1L, device = "cpu", precision = "fp32")
  out <- scLM:::engine_classify(model$weights, model$config, length(model$labels), counts, map, run, TRUE)
  c(out, list(codes = match(p$cell_type[s$train], model$labels) - 1L, counts = counts, map = map,
              n_features = length(model$features)))
}

calibrate <- function(ref, validation, q) {
  scLM:::calibrate_unknown(ref$logits, ref$embeddings, ref$codes, validation, q, scLM:::new_cell_source(ref$counts),
                           ref$map, ref$n_features, seed = 1)
}

# The "knn" score written out with stats::prcomp and sort(): log-normalised counts of the model
# features, the 2,000 most variable over the `fit` cells, their first 10 principal components;
# 1 - the cosine similarity to the 10th most similar fit cell (the 11th for a fit cell itself).
reference_knn <- function(ref, fit, rows) {
  x <- as.matrix(ref$counts[ref$map >= 0L, ])
  rownames(x) <- NULL
  x <- x[order(ref$map[ref$map >= 0L]), ]
  x <- log1p(sweep(x, 2L, colSums(x), "/") * 1e4)
  variance <- apply(x[, fit], 1L, function(v) mean(v^2) - mean(v)^2)
  top <- sort(order(-variance)[1:min(2000, sum(variance > 0))])
  pca <- stats::prcomp(t(x[top, fit]), rank. = 10)
  unit <- function(m) m / sqrt(rowSums(m^2))
  reference <- unit(pca$x)
  cells <- unit(scale(t(x[top, rows, drop = FALSE]), center = pca$center, scale = FALSE) %*% pca$rotation)
  similarity <- tcrossprod(cells, reference)
  k <- ifelse(rows %in% fit, 11L, 10L)
  1 - vapply(seq_along(rows), function(i) sort(similarity[i, ], decreasing = TRUE)[k[i]], numeric(1))
}

# Scores written out directly: stats::mahalanobis to each class mean of the cells used for
# fitting, the smallest; energy = -log(sum(exp(logits))).
reference_scores <- function(method, logits, embeddings, codes, fit, rows) {
  if (method == "energy") return(-log(rowSums(exp(logits[rows, , drop = FALSE]))))
  classes <- seq_len(ncol(logits))
  means <- t(vapply(classes, function(k) colMeans(embeddings[fit[codes[fit] == k - 1L], , drop = FALSE]),
                    numeric(ncol(embeddings))))
  centered <- embeddings[fit, ] - means[codes[fit] + 1L, ]
  covariance <- crossprod(centered) / (length(fit) - length(classes))
  covariance <- covariance + diag(1e-3 * mean(diag(covariance)) + 1e-8, ncol(covariance))
  distances <- vapply(classes, function(k) stats::mahalanobis(embeddings[rows, , drop = FALSE], means[k, ], covariance),
                      numeric(length(rows)))
  apply(distances, 1L, min)
}

test_that("each cutoff is the requested quantile of the held-out reference cells' scores", {
  ref <- reference_outputs()
  n <- length(ref$codes)
  validation <- seq(3L, n, by = 7L)
  fit <- setdiff(seq_len(n), validation)
  for (q in c(0.95, 0.8)) {
    calibration <- calibrate(ref, validation, q)
    expect_identical(calibration$quantile, q)
    for (method in c("mahalanobis", "energy")) {
      held_out <- reference_scores(method, ref$logits, ref$embeddings, ref$codes, fit, validation)
      # the package's scores of the held-out cells are the directly computed ones
      expect_equal(scLM:::unknown_score(method, ref$logits[validation, ], ref$embeddings[validation, ], calibration),
                   held_out, tolerance = 1e-8)
      # the cutoff is their q-quantile (type 7: between the two order statistics around (m - 1) q + 1)
      sorted <- sort(held_out)
      at <- (length(held_out) - 1) * q + 1
      expected <- sorted[floor(at)] + (at - floor(at)) * (sorted[ceiling(at)] - sorted[floor(at)])
      expect_equal(calibration$cutoff[[method]], expected, tolerance = 1e-8)
      # so the held-out reference cells flagged are exactly those above order statistic floor(at):
      # a share of 1 - q, up to one cell
      flagged <- sum(held_out > calibration$cutoff[[method]])
      expect_identical(flagged, length(held_out) - as.integer(floor(at)))
      expect_lte(abs(flagged / length(held_out) - (1 - q)), 1 / length(held_out))
    }
  }
  expect_null(calibrate(ref, 1:9, 0.95))  # too few held-out cells
})

test_that("the knn score is the cosine distance to the 10th nearest reference cell in the reference's PCA space", {
  ref <- reference_outputs()
  n <- length(ref$codes)
  validation <- seq(3L, n, by = 7L)
  fit <- setdiff(seq_len(n), validation)
  calibration <- calibrate(ref, validation, 0.95)
  space <- calibration$knn
  expect_identical(dim(space$reference), c(length(fit), 10L))
  held_out <- reference_knn(ref, fit, validation)
  # (irlba's principal axes converge to about 1e-5)
  expect_equal(scLM:::knn_score(space, ref$counts[, validation], ref$map, ref$n_features), held_out, tolerance = 1e-4)
  # Calibrated on the held-out cells and on the fit cells each leaving itself out, together.
  expect_equal(calibration$cutoff$knn, unname(stats::quantile(c(held_out, reference_knn(ref, fit, fit)), 0.95)),
               tolerance = 1e-4)
  # A cell of another tissue's expression (the genes shuffled) lies far from every reference cell.
  shuffled <- ref$counts[sample(nrow(ref$counts)), validation[1:20]]
  rownames(shuffled) <- rownames(ref$counts)
  expect_true(all(scLM:::knn_score(space, shuffled, ref$map, ref$n_features) > calibration$cutoff$knn))
})

test_that("a fine-tuned model's calibration is at the quantile it was asked for", {
  model <- small_model()
  expect_identical(model$unknown$quantile, 0.95)
  expect_named(model$unknown$cutoff, c("mahalanobis", "energy", "knn"))
  expect_true(all(is.finite(unlist(model$unknown$cutoff))))
})
