# Vocabulary: choose the model's genes from training data, and map a query's genes onto them.

# The most variable genes by Seurat's "vst" method: a loess fit of log10(variance) on
# log10(mean) of the raw counts gives each gene an expected sd; genes are ranked by the variance
# of their standardized (clipped) counts. Only genes detected in >= 3 cells are candidates.
select_features <- function(counts, config) {
  if (!is.null(config$features)) return(config$features)
  stats <- sclm_feature_stats(counts, config$scale_factor, TRUE)
  candidates <- which(stats$n_cells >= 3L & stats$variance > 0)
  n <- min(config$n_features, length(candidates))
  if (n < 10L) {
    cli::cli_abort("Only {length(candidates)} gene{?s} vary and are detected in 3 or more cells; scLM needs at least 10.",
                   call = NULL)
  }
  trend <- stats::loess(log10(variance) ~ log10(mean), data = stats[candidates, ], span = 0.3)
  expected_sd <- numeric(nrow(stats))
  expected_sd[candidates] <- sqrt(10^stats::fitted(trend))
  score <- sclm_standardized_variance(counts, stats$mean, expected_sd)
  keep <- candidates[order(score[candidates], decreasing = TRUE)[seq_len(n)]]
  rownames(counts)[sort(keep)]
}

# Row -> vocabulary index (0-based; -1 = not in the vocabulary) and a report of the overlap.
map_features <- function(query_features, model_features, min_overlap = 0.25, verbose = TRUE,
                         call = parent.frame()) {
  index <- match(query_features, model_features)
  matched <- sum(!is.na(index))
  report <- list(n_model = length(model_features), n_query = length(query_features),
                 n_matched = matched, missing = setdiff(model_features, query_features),
                 n_extra = sum(is.na(index)))
  fraction <- matched / length(model_features)
  if (matched == 0L) {
    cli::cli_abort(c("None of the {length(model_features)} model genes are in the data.",
                     "i" = "Model genes look like {.val {head(model_features, 3)}}; data genes like {.val {head(query_features, 3)}}.",
                     "i" = "Use the same gene identifiers (symbols or Ensembl ids) as the reference."),
                   call = call)
  }
  if (fraction < min_overlap) {
    cli::cli_abort(c("Only {matched} of {length(model_features)} model genes ({round(100 * fraction, 1)}%) are in the data; at least {round(100 * min_overlap)}% are needed.",
                     "i" = "Check that the data use the reference's gene identifiers, or lower {.arg min_overlap}."),
                   call = call)
  }
  if (verbose) {
    cli::cli_inform(c("i" = "Genes: {matched} of {length(model_features)} model genes matched ({round(100 * fraction, 1)}%); {length(report$missing)} missing (treated as not expressed); {report$n_extra} data gene{?s} not in the model."))
  }
  if (fraction < 0.8) {
    cli::cli_warn("Only {round(100 * fraction, 1)}% of the model genes are in the data; predictions may be less accurate.",
                  call = call)
  }
  list(index = ifelse(is.na(index), -1L, index - 1L), report = report)
}
