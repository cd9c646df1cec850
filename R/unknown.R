# Scores for cells unlike any reference type (out of distribution), calibrated at fine-tuning on
# the held-out validation cells: a query cell is flagged when its score exceeds the score of
# `quantile` of those held-out reference cells (by default 95%, i.e. about 5% false flags on
# cells of known types). A query from another batch, lab or platform lies a little further from
# the reference as a whole, and more of its known cells cross that cut-off (up to 16% across the
# symphony batches): annotate_cells() moves the cut-off up by how much the query's scores exceed
# the held-out cells' at their lower quartile and median (unknown_cutoff(); bench/README.md,
# "Unknown cell types").
#  * "mahalanobis": distance of the cell embedding to the nearest class mean, with one covariance
#    shared by all classes (Lee et al. 2018).
#  * "energy": -logsumexp(logits) (Liu et al. 2020).
#  * "knn": how far the cell is from the reference cells in the reference's own expression
#    space, whatever the model makes of it: 1 - the cosine similarity to the 10th most similar
#    of up to 5,000 reference cells, on the first 10 principal components of the log-normalised
#    (per 10,000, over the vocabulary) counts of the reference's 2,000 most variable vocabulary
#    features (as scmap-cell compares cells; Kiselev et al. 2018). A classifier maps a cell of a
#    type it never saw onto the known types; the reference's expression space keeps it apart.

unknown_methods <- c("max_prob", "mahalanobis", "energy", "knn")

# annotate_cells()'s method when none is given: the family's, where the model carries its calibration.
default_unknown_method <- function(model) {
  method <- family_defaults(model$config)$unknown_method
  if (is.null(model$unknown$cutoff[[method]])) "max_prob" else method
}

# Calibrated on the reference cells of cell sources `sources` (their rows mapped into the
# vocabulary of `n_features` by `maps`; cells numbered through all sources), whose `logits`,
# `embeddings` and 0-based classes `codes` are given; `validation`: the held-out ones.
calibrate_unknown <- function(logits, embeddings, codes, validation, quantile, sources, maps, n_features, seed) {
  if (length(validation) < 10L) return(NULL)  # too few held-out cells to calibrate on
  fit <- setdiff(seq_along(codes), validation)
  y <- codes[fit] + 1L
  n_classes <- ncol(logits)
  sums <- rowsum(embeddings[fit, , drop = FALSE], factor(y, levels = seq_len(n_classes)), reorder = TRUE)
  means <- sums / pmax(tabulate(y, n_classes), 1L)
  centered <- embeddings[fit, , drop = FALSE] - means[y, , drop = FALSE]
  covariance <- crossprod(centered) / max(1, length(fit) - n_classes)
  # A small ridge keeps the inverse stable when embedding dimensions are nearly collinear.
  covariance <- covariance + diag(1e-3 * mean(diag(covariance)) + 1e-8, ncol(covariance))
  ood <- list(means = means, precision = solve(covariance), quantile = quantile, cutoff = list(), quartiles = list())
  for (method in c("mahalanobis", "energy")) {
    held_out <- unknown_score(method, logits[validation, , drop = FALSE], embeddings[validation, , drop = FALSE], ood)
    ood$cutoff[[method]] <- unname(stats::quantile(held_out, quantile))
    ood$quartiles[[method]] <- unname(stats::quantile(held_out, shift_quantiles))
  }
  ood$knn <- knn_space(sources, maps, n_features, fit, seed)
  # Calibrated on the held-out cells and on the reference cells themselves, each leaving itself
  # out (its k+1-th neighbour): a few hundred held-out cells alone give a noisy quantile.
  held_out <- c(knn_score_rows(ood$knn, vocabulary_cells(sources, maps, sort(validation), n_features)),
                knn_distance(ood$knn$reference, ood$knn$reference, knn_settings$k + 1L))
  ood$cutoff$knn <- unname(stats::quantile(held_out, quantile, na.rm = TRUE))
  ood$quartiles$knn <- unname(stats::quantile(held_out, shift_quantiles, na.rm = TRUE))
  ood
}

# The cut-off above which a query cell's `score` (of `method`) is flagged: the calibrated one, or
# with `shift` that plus how much the query's scores exceed the held-out cells' at the lower
# quartile and at the median, the smaller of the two (never lowered), when at least
# unknown_shift_min_cells cells were scored. Each guards against one way of over-shifting: cells
# of unknown types, which score high, move the median more than the lower quartile (with half of a
# query unknown, the median lands on the known cells' 75th percentile); a shallower query, whose
# scores all rise and bunch together, moves the lower quartile more than the median (and its
# upper tail less than either). Models calibrated before the quartiles were kept are not shifted.
unknown_cutoff <- function(ood, method, score, shift) {
  cutoff <- ood$cutoff[[method]]
  reference <- ood$quartiles[[method]]
  if (!shift || is.null(reference) || sum(!is.na(score)) < unknown_shift_min_cells) return(cutoff)
  cutoff + max(0, min(unname(stats::quantile(score, shift_quantiles, na.rm = TRUE)) - reference))
}

shift_quantiles <- c(0.25, 0.5)
unknown_shift_min_cells <- 100L

knn_settings <- list(k = 10L, n_pcs = 10L, n_variable = 2000L, max_reference = 5000L, chunk = 1000L)

# The expression space of the reference cells `fit` (numbered through cell sources `sources`,
# whose rows `maps` index into a vocabulary of n_features): its variable features, centre,
# principal axes and up to knn_settings$max_reference of the cells in it, on the unit sphere.
knn_space <- function(sources, maps, n_features, fit, seed) {
  s <- knn_settings
  if (length(fit) > s$max_reference) fit <- sort(with_seed(seed, sample(fit, s$max_reference)))
  x <- log_normalise(vocabulary_cells(sources, maps, fit, n_features))
  centre <- Matrix::rowMeans(x)
  variance <- Matrix::rowMeans(x^2) - centre^2
  features <- sort(utils::head(order(-variance), min(s$n_variable, sum(variance > 0))))
  n_pcs <- min(s$n_pcs, length(features) - 1L, length(fit) - 1L)
  pca <- with_seed(seed, irlba::irlba(Matrix::t(x[features, , drop = FALSE]), nv = n_pcs, nu = n_pcs,
                                      center = centre[features]))
  list(features = features, centre = centre[features], rotation = pca$v,
       reference = unit_rows(pca$u %*% diag(pca$d, n_pcs)))
}

# The vocabulary rows (engine_mapped_rows()) of cells `cells` (increasing), numbered through the
# cell sources `sources` whose rows `maps` index into the vocabulary of n_features.
vocabulary_cells <- function(sources, maps, cells, n_features) {
  local <- cells_per_source(sources, cells)
  parts <- lapply(seq_along(sources), function(k) {
    if (length(local[[k]])) engine_mapped_rows(source_cells(sources[[k]], local[[k]]), maps[[k]], n_features)
  })
  parts <- Filter(Negate(is.null), parts)
  if (length(parts) == 1L) parts[[1]] else do.call(cbind, parts)
}

# The "knn" score of each cell of `counts` (rows indexed into the vocabulary by `map`).
knn_score <- function(space, counts, map, n_features) knn_score_rows(space, engine_mapped_rows(counts, map, n_features))

# The "knn" score of each cell of `x`, vocabulary features x cells.
knn_score_rows <- function(space, x) {
  x <- log_normalise(x)[space$features, , drop = FALSE]
  cells <- unit_rows(as.matrix(Matrix::crossprod(x, space$rotation)) -
                       matrix(drop(space$centre %*% space$rotation), ncol(x), ncol(space$rotation), byrow = TRUE))
  score <- knn_distance(cells, space$reference, knn_settings$k)
  score[!is.finite(score)] <- NA  # cells without counts in the features
  score
}

# 1 - the cosine similarity of each row of `cells` to its k-th most similar row of `reference`
# (both on the unit sphere), in chunks of cells (one column of similarities per cell).
knn_distance <- function(cells, reference, k) {
  k <- min(k, nrow(reference))
  score <- numeric(nrow(cells))
  for (first in seq.int(1L, max(1L, nrow(cells)), by = knn_settings$chunk)) {
    rows <- first:min(nrow(cells), first + knn_settings$chunk - 1L)
    score[rows] <- 1 - engine_kth_largest(tcrossprod(reference, cells[rows, , drop = FALSE]), k)
  }
  score
}

unit_rows <- function(m) m / sqrt(rowSums(m^2))

unknown_score <- function(method, logits, embeddings, ood) {
  switch(method,
    energy = -log_sum_exp(logits),
    mahalanobis = {
      distances <- vapply(seq_len(nrow(ood$means)), function(k) {
        d <- sweep(embeddings, 2L, ood$means[k, ])
        rowSums((d %*% ood$precision) * d)
      }, numeric(nrow(embeddings)))
      apply(matrix(distances, nrow(embeddings)), 1L, min)
    })
}

log_sum_exp <- function(logits) {
  top <- apply(logits, 1L, max)
  top + log(rowSums(exp(logits - top)))
}

softmax_rows <- function(logits) {
  p <- exp(logits - apply(logits, 1L, max))
  p / rowSums(p)
}
