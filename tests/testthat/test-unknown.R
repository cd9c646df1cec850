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
  scLM:::calibrate_unknown(ref$logits, ref$embeddings, ref$codes, validation, q, list(scLM:::new_cell_source(ref$counts)),
                           list(ref$map), ref$n_features, seed = 1)
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
      expect_equal(calibration$quartiles[[method]], unname(stats::quantile(held_out, c(0.25, 0.5))), tolerance = 1e-8)
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
  both <- c(held_out, reference_knn(ref, fit, fit))
  expect_equal(calibration$cutoff$knn, unname(stats::quantile(both, 0.95)), tolerance = 1e-4)
  expect_equal(calibration$quartiles$knn, unname(stats::quantile(both, c(0.25, 0.5))), tolerance = 1e-4)
  # A cell of another tissue's expression (the genes shuffled) lies far from every reference cell.
  shuffled <- ref$counts[sample(nrow(ref$counts)), validation[1:20]]
  rownames(shuffled) <- rownames(ref$counts)
  expect_true(all(scLM:::knn_score(space, shuffled, ref$map, ref$n_features) > calibration$cutoff$knn))
})

test_that("a reference given as several cell sources is calibrated as the same cells in one", {
  ref <- reference_outputs()
  n <- length(ref$codes)
  validation <- seq(3L, n, by = 7L)
  one <- calibrate(ref, validation, 0.95)
  # finetune(x = list(...)): the cells numbered through both sources; the second holds its genes
  # in reverse order, so each source is read through its own map.
  first <- seq_len(200)
  rows <- rev(seq_len(nrow(ref$counts)))
  sources <- list(scLM:::new_cell_source(ref$counts[, first]), scLM:::new_cell_source(ref$counts[rows, -first]))
  two <- scLM:::calibrate_unknown(ref$logits, ref$embeddings, ref$codes, validation, 0.95, sources,
                                  list(ref$map, ref$map[rows]), ref$n_features, seed = 1)
  expect_equal(two, one)
  expect_identical(dim(scLM:::vocabulary_cells(sources, list(ref$map, ref$map[rows]), c(5L, 250L, 300L), ref$n_features)),
                   c(ref$n_features, 3L))
})

test_that("knn distances are the k-th largest similarities, chunk after chunk, as a full sort gives them", {
  set.seed(3)
  unit <- function(n, d) { m <- matrix(rnorm(n * d), n, d); m / sqrt(rowSums(m^2)) }
  reference <- unit(300, 10)
  cells <- unit(2 * scLM:::knn_settings$chunk + 7, 10)  # three chunks
  by_sort <- 1 - apply(tcrossprod(reference, cells), 2, function(s) sort(s, decreasing = TRUE)[10])
  expect_identical(scLM:::knn_distance(cells, reference, 10L), by_sort)
  expect_identical(scLM:::knn_distance(cells[1:3, ], reference[1:4, ], 10L),  # k above the reference's size
                   1 - apply(tcrossprod(reference[1:4, ], cells[1:3, ]), 2, min))
  m <- cbind(c(0.2, NaN, 0.9, 0.5), c(NaN, NaN, 1, NaN), c(3, 3, 1, 2))
  expect_identical(scLM:::engine_kth_largest(m, 2L), c(0.5, NaN, 3))  # ties count; NaN skipped
})

test_that("a fine-tuned model's calibration is at the quantile it was asked for", {
  model <- small_model()
  expect_identical(model$unknown$quantile, 0.95)
  expect_named(model$unknown$cutoff, c("mahalanobis", "energy", "knn"))
  expect_true(all(is.finite(unlist(model$unknown$cutoff))))
})

test_that("the cut-off moves up by the smaller of the query's shifts at the lower quartile and the median", {
  ood <- list(cutoff = list(knn = 0.3), quartiles = list(knn = c(0.1, 0.2)))
  shifted <- seq(0, 0.8, length.out = 161)  # lower quartile 0.2, median 0.4: 0.1 and 0.2 above the held-out cells'
  expect_equal(scLM:::unknown_cutoff(ood, "knn", shifted, TRUE), 0.4)
  expect_equal(scLM:::unknown_cutoff(ood, "knn", shifted / 4 + 0.25, TRUE), 0.45)  # bunched: the median moved less
  expect_identical(scLM:::unknown_cutoff(ood, "knn", shifted, FALSE), 0.3)
  expect_identical(scLM:::unknown_cutoff(ood, "knn", shifted[1:99], TRUE), 0.3)  # too few cells to tell
  expect_equal(scLM:::unknown_cutoff(ood, "knn", c(shifted, rep(NA, 500)), TRUE), 0.4)  # cells without counts
  expect_identical(scLM:::unknown_cutoff(ood, "knn", shifted / 4, TRUE), 0.3)  # never lowered
  expect_identical(scLM:::unknown_cutoff(list(cutoff = list(knn = 0.3)), "knn", shifted, TRUE), 0.3)  # an older model
  # a third of the query far above every known cell: its lower quartile moves to the known cells'
  # 37.5th percentile (0.3), its median to their 75th (0.6)
  expect_equal(scLM:::unknown_cutoff(ood, "knn", c(shifted, rep(5, 80)), TRUE), 0.5)

  # Real cells made shallower, as another platform's would be (each count kept with probability
  # 0.1): the knn score rises for every type, and without the shift a quarter of them is flagged.
  thin <- function(counts, keep) {
    set.seed(7)
    counts@x <- as.numeric(stats::rbinom(length(counts@x), as.integer(counts@x), keep))
    Matrix::drop0(counts)
  }
  model <- small_model()
  query <- thin(query_counts(200), 0.1)
  expect_message(res <- annotate_cells(model, query, verbose = TRUE), "unknown_shift = FALSE")
  fixed <- annotate_cells(model, query, unknown_shift = FALSE, verbose = FALSE)
  expect_equal(res$unknown.score, fixed$unknown.score)
  expect_identical(S4Vectors::metadata(fixed)$unknown_cutoff, model$unknown$cutoff$knn)
  expect_equal(S4Vectors::metadata(res)$unknown_cutoff,
               model$unknown$cutoff$knn + min(unname(stats::quantile(res$unknown.score, c(0.25, 0.5))) - model$unknown$quartiles$knn))
  expect_gt(mean(fixed$pruned.labels == "Unknown"), 0.2)
  expect_lt(mean(res$pruned.labels == "Unknown"), 0.05)

  # B cells left out of the reference stay found in a query at half the depth (the knn score
  # reads the reference's cells, not the weights: one epoch suffices).
  p <- pbmc3k(); s <- small_split()
  known <- s$train[p$cell_type[s$train] != "B"]
  without_b <- finetune(tiny_config(), p$counts[, known], p$cell_type[known], epochs = 1, seed = 1, verbose = FALSE)
  b <- p$cell_type[s$test] == "B"
  flagged <- annotate_cells(without_b, thin(p$counts[, s$test], 0.5), verbose = FALSE)$pruned.labels == "Unknown"
  expect_gt(mean(flagged[b]), 0.6)
  expect_lt(mean(flagged[!b]), 0.05)
})
