# Vocabulary (genes): choose the model's genes from training data, and map a query's genes onto them.

# The most variable genes by Seurat's "vst" method: a loess fit of log10(variance) on
# log10(mean) of the raw counts gives each gene an expected sd; genes are ranked by the variance
# of their standardized (clipped) counts. Only genes detected in >= 3 cells are candidates.
# With `labels` (a factor, one per cell) and `per_class` > 0, each class's `per_class` marker genes
# (the family's `class_markers`, family_defaults()) come first and the most variable genes fill the vocabulary
# up to `n_features`: a rare class's markers can vary too little over all cells to be among the
# most variable. Genes are considered in name order (ties go to the first name), so the choice does
# not depend on the order of the matrix's rows.
# `source`: a cell source (or a matrix).
select_features <- function(source, config, labels = NULL, per_class = 0L) {
  if (!is.null(config$features)) return(config$features)
  source <- as_cell_source(source)
  # Both passes read the cells in blocks (on-disk input is never realised whole); each block's cells
  # are added to the running sums in cell order, which gives the sums of all cells bit for bit.
  fold <- function(add_block) {
    running <- NULL
    source_walk(source, function(counts) running <<- add_block(counts, running))
    running
  }
  sums <- fold(function(counts, running) engine_feature_stats(counts, config$scale_factor, running))
  n <- source$n_cells
  mean <- sums$sum / n
  variance <- if (n > 1) pmax(0, (sums$sum_sq - n * mean * mean) / (n - 1)) else numeric(length(mean))
  by_name <- order(source$features, method = "radix")
  candidates <- by_name[sums$n_cells[by_name] >= 3L & variance[by_name] > 0]
  n_features <- min(config$n_features, length(candidates))
  if (n_features < 10L) {
    cli::cli_abort("Only {length(candidates)} gene{?s} vary and are detected in 3 or more cells; scLM needs at least 10.",
                   call = NULL)
  }
  # loess warns about near-singular fits on small or sparse data; the fit is still usable.
  trend <- suppressWarnings(stats::loess(log10(variance) ~ log10(mean),
                                         data = data.frame(mean = mean, variance = variance)[candidates, ], span = 0.3))
  expected_sd <- numeric(length(mean))
  expected_sd[candidates] <- sqrt(10^stats::fitted(trend))
  clip <- sqrt(n)
  vst <- fold(function(counts, running) engine_standardized_sums(counts, mean, expected_sd, clip, running))
  score <- engine_standardized_variance(vst, mean, expected_sd, clip, n)
  ranked <- candidates[order(score[candidates], decreasing = TRUE)]
  markers <- if (is.null(labels) || per_class == 0L) integer(0) else class_markers(source, labels, config, per_class, n_features, by_name)
  keep <- union(markers, ranked)[seq_len(n_features)]
  source$features[sort(keep)]
}

# Row indices of each class's `per_class` genes (fewer where they would fill more than half of
# `n_features`) of largest mean log1p(CP10k) in the class minus the mean of the other classes'
# means (one pass over the blocks); ties go to the row first in `by_name`.
class_markers <- function(source, labels, config, per_class, n_features, by_name) {
  labels <- droplevels(as.factor(labels))
  per_class <- min(per_class, n_features %/% (2L * nlevels(labels)))
  if (nlevels(labels) < 2L || per_class < 1L) return(integer(0))
  sums <- source_class_sums(source, as.integer(labels), nlevels(labels), function(counts) log_normalise(counts, config$scale_factor))
  means <- sweep(sums, 2L, tabulate(as.integer(labels), nlevels(labels)), "/")
  others <- (rowSums(means) - means) / (ncol(means) - 1L)
  unique(as.vector(apply((means - others)[by_name, , drop = FALSE], 2L,
                         function(d) by_name[order(d, decreasing = TRUE)[seq_len(per_class)]])))
}

# The union of the vocabularies of each cell source (see select_features()); `labels`: one factor
# per source, or NULL.
select_feature_union <- function(sources, config, labels = NULL, per_class = 0L) {
  if (!is.null(config$features)) return(config$features)
  chosen <- lapply(seq_along(sources), function(i) select_features(sources[[i]], config, labels[[i]], per_class))
  unique(unlist(chosen, use.names = FALSE))
}

# Geneformer's gene medians (the rank tokenizer's gene_scale) over the cells of `sources`. An
# on-disk matrix larger than a block contributes 20 evenly spaced runs of cells, one block in all:
# a median needs every value at once.
gene_scale <- function(sources, maps, config) {
  engine_gene_medians(lapply(sources, source_sample), maps, config)
}

# Row -> vocabulary index (0-based; -1 = not in the vocabulary or a repeated name, whose
# first row is used).
feature_index <- function(query_features, model_features) {
  index <- match(query_features, model_features)
  index[duplicated(query_features)] <- NA_integer_
  ifelse(is.na(index), -1L, index - 1L)
}

# Whether feature names are mostly scATAC peaks (`chr-start-end`).
are_peaks <- function(features) mean(engine_parse_peaks(utils::head(features, 1000))$ok) > 0.9

# Errors when the rows of a query look like scATAC peaks (an scRNA-seq model cannot read them).
check_not_peaks <- function(features, call = parent.frame()) {
  if (are_peaks(features)) {
    cli::cli_abort(c("{.arg x} holds scATAC-seq peaks ({.val {utils::head(features, 2)}}) but {.arg model} is an scRNA-seq model.",
                     "i" = "Annotate peaks with an scATAC model, e.g. one fine-tuned from {.fn annatac_config}."),
                   call = call)
  }
}

# Maps a query's genes onto the model's vocabulary by name. `learnt`: the vocabulary genes the
# model learnt from, when its reference was a gene panel that held only some of a pretrained
# vocabulary: the query's other genes stay unread, as they were absent in training, and the
# overlap is measured against these. `training`: the vocabulary is a pretrained model's
# (fine-tuning), of which a reference needs only `panel_min_genes`.
map_features <- function(query_features, model_features, min_overlap = 0.25, verbose = TRUE,
                         call = parent.frame(), training = FALSE, learnt = NULL) {
  known <- learnt %||% model_features
  index <- feature_index(query_features, model_features)
  if (!is.null(learnt)) index[!query_features %in% learnt] <- -1L
  report <- feature_report(query_features, known, index)
  if (report$n_matched / report$n_model < min_overlap) {
    report$hints <- identifier_hints(query_features, model_features)
  }
  check_overlap(report, min_overlap, verbose, call, training)
  list(index = index, report = report, transform = identity)
}

# Fewest genes of a pretrained vocabulary a reference must hold to fine-tune from it (or all of a
# smaller vocabulary's `min_overlap`): a targeted panel of a few hundred genes qualifies, a matrix
# of another species or identifier type, which matches a handful by chance, does not.
panel_min_genes <- 100L

# Why a query's names miss the model's, when they differ in a way scLM can tell: letter case
# (e.g. mouse symbols "Cd3e" against human "CD3E"), Ensembl version suffixes ("ENSG...5"),
# another species' Ensembl ids, or a transposed matrix (cell barcodes as row names).
identifier_hints <- function(query, model) {
  hints <- character(0)
  exact <- sum(query %in% model)
  species <- function(x) {
    ens <- regmatches(x, regexpr("^ENS[A-Z]*G", x))
    if (length(ens) > 0.5 * length(x)) return(c(ENSG = "human", ENSMUSG = "mouse")[names(sort(-table(ens)))[1]])
    letters_only <- x[grepl("[A-Za-z]", x)]
    if (mean(grepl("^[A-Z][a-z0-9]", letters_only)) > 0.5) return("mouse-like (capitalised) symbols")
    if (mean(letters_only == toupper(letters_only)) > 0.5) return("human-like (upper-case) symbols")
    NA_character_
  }
  sq <- species(utils::head(query, 2000L))
  sm <- species(utils::head(model, 2000L))
  if (!is.na(sq) && !is.na(sm) && sq != sm) {
    hints <- c(hints, "i" = sprintf("The data look like %s, the model like %s: a model of another species cannot read them; use a reference of the data's species.", sq, sm))
  }
  if (sum(toupper(query) %in% toupper(model)) > 2 * exact + 10) {
    hints <- c(hints, "i" = "Many names match only when letter case is ignored (e.g. {.val Cd3e} vs {.val CD3E}). If the species is the same, fix the case, e.g. {.code rownames(x) <- toupper(rownames(x))}.")
  }
  strip <- function(x) sub("\\.[0-9]+$", "", x)
  if (sum(strip(query) %in% strip(model)) > 2 * exact + 10) {
    hints <- c(hints, "i" = "Many Ensembl ids match only without their version suffix ({.val ENSG00000111640.15} vs {.val ENSG00000111640}). Drop it: {.code rownames(x) <- sub(\"\\\\.[0-9]+$\", \"\", rownames(x))}.")
  }
  if (mean(grepl("^[ACGTN]{8,}([-_.][0-9A-Za-z]+)?$", utils::head(query, 200L))) > 0.8) {
    hints <- c(hints, "i" = "The data's row names look like cell barcodes: is the matrix transposed (cells x genes)? Pass {.code t(x)}; scLM reads genes x cells.")
  }
  hints
}

# Errors (class scLM_overlap_error) when too few model features are in the data, and says how
# many matched.
check_overlap <- function(report, min_overlap, verbose, call, training = FALSE) {
  unit <- report_unit(report)
  matched <- report$n_matched
  n_model <- report$n_model
  fraction <- matched / n_model
  from_config <- "The vocabulary is the pretrained model's: fine-tune from a config (e.g. {.code scLMConfig()}) to use the reference's own {unit}."
  if (matched == 0L) {
    hint <- if (unit == "islands") "Check that the peaks use the reference's genome build and chromosome names (e.g. {.val chr1}, not {.val 1})." else
      "Use the same gene identifiers (symbols or Ensembl ids) as the reference."
    cli::cli_abort(c("None of the {n_model} model {unit} are in the data.",
                     "i" = "Model {unit} look like {.val {report$examples}} ({report$model_ids}); data {if (unit == 'islands') 'peaks' else 'genes'} like {.val {report$query_examples}} ({report$query_ids}).",
                     report$hints %||% c("i" = hint), if (training) c("i" = from_config)),
                   class = "scLM_overlap_error", call = call)
  }
  if (training) min_overlap <- min(min_overlap, panel_min_genes / n_model)
  if (fraction < min_overlap) {
    cli::cli_abort(c("Only {matched} of {n_model} model {unit} ({round(100 * fraction, 1)}%) are in the data; at least {ceiling(min_overlap * n_model)} ({round(100 * min_overlap, 1)}%) are needed.",
                     report$hints,
                     "i" = if (training) from_config else "Check that the data use the reference's {if (unit == 'islands') 'genome build' else 'gene identifiers'}, or lower {.arg min_overlap}."),
                   class = "scLM_overlap_error", call = call)
  }
  if (verbose) {
    extra <- if (unit == "islands") "data peak{?s} outside the model's islands" else "data gene{?s} not in the model"
    cli::cli_inform(c("i" = paste0("{tools::toTitleCase(unit)}: {matched} of {n_model} model {unit} matched ({round(100 * fraction, 1)}%); {length(report$missing)} missing (treated as not expressed); {report$n_extra} ", extra, ".")))
  }
  if (length(report$duplicated)) {
    cli::cli_warn("{length(report$duplicated)} gene name{?s} appear{?s/} more than once in the data ({.val {head(report$duplicated, 3)}}); the first row of each is used.",
                  call = call)
  }
  if (training && fraction < 1 && verbose) {
    cli::cli_inform(c("i" = "The reference holds {matched} of the pretrained model's {n_model} {unit}: the model learns from these, the others are absent from every cell (as in a gene panel), and queries are checked against these {matched}."))
  } else if (!training && fraction < 0.8) {
    cli::cli_warn("Only {round(100 * fraction, 1)}% of the model {unit} are in the data; predictions may be less accurate.",
                  call = call)
  }
}

report_unit <- function(report) if (identical(report$model_ids, "peak islands")) "islands" else "genes"

feature_report <- function(query_features, model_features, index) {
  new_feature_report(model_features, query_features, n_matched = sum(index >= 0L),
                     missing = setdiff(model_features, query_features),
                     n_extra = sum(!query_features %in% model_features),
                     duplicated = unique(query_features[duplicated(query_features)]),
                     model_ids = identifier_type(model_features), query_ids = identifier_type(query_features))
}

# The one place the report's fields are listed (gene and peak mappings both build it here).
new_feature_report <- function(model_features, query_features, n_matched, missing, n_extra, duplicated,
                               model_ids, query_ids) {
  structure(list(n_model = length(model_features), n_query = length(query_features), n_matched = n_matched,
                 missing = missing, n_extra = n_extra, duplicated = duplicated, model_ids = model_ids,
                 query_ids = query_ids, examples = utils::head(model_features, 3),
                 query_examples = utils::head(query_features, 3)),
            class = "scLM_feature_report")
}

# "Ensembl ids", "gene symbols" or "peaks", from the share of names that look like each.
identifier_type <- function(features) {
  sample <- utils::head(features, 1000L)
  if (mean(grepl("^ENS[A-Z]*G[0-9]{6,}", sample)) > 0.5) return("Ensembl ids")
  if (mean(grepl("^chr[0-9XYM]+[-:_][0-9]+[-_][0-9]+$", sample)) > 0.5) return("peaks")
  "gene symbols"
}

#' @export
print.scLM_feature_report <- function(x, ...) {
  unit <- report_unit(x)
  data_unit <- if (unit == "islands") "peaks" else "genes"
  cat(sprintf("<scLM_feature_report> %d of %d model %s matched (%.1f%%)\n", x$n_matched, x$n_model, unit,
              100 * x$n_matched / x$n_model),
      sprintf("missing: %d (treated as not expressed)%s\n", length(x$missing),
              if (length(x$missing)) paste0(", e.g. ", paste(utils::head(x$missing, 5), collapse = ", ")) else ""),
      sprintf("extra data %s: %d; duplicated data %s: %d\n", data_unit, x$n_extra, data_unit, length(x$duplicated)),
      sprintf("identifiers: model %s, data %s\n", x$model_ids, x$query_ids), sep = "")
  invisible(x)
}
