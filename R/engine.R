# The engine: the only file that calls the compiled code (R/RcppExports.R). Everything above it
# speaks in terms of configs, training settings, cell stores and blocks of checked counts; only
# the bodies here know the names and argument lists of the exports, the settings lists the core
# reads, how its errors and warnings become R conditions, and how training reports progress.
# Model families are told apart here by the config's class where the core has separate entry
# points for them (token stores and expression-level stores).

# ---- settings lists handed to the core --------------------------------------------------------
# The core declares each settings struct once (src/core/config/settings.h) and describes it in
# sclm_config_schema(): a data.frame per kind (model, subvectors, tokenizer, train, distributed,
# pretrain, run) of name, type, default, min, max, choices. A list handed to the core must name
# every field and nothing else; the core refuses a missing, unknown, mistyped or out-of-range one,
# naming it.

# `values` with every field of `kind` that is absent or NULL set to the core's default (a nested
# struct's default is NULL: none); fields given stay as they are, unknown names included.
engine_settings <- function(kind, values) {
  schema <- engine_schema()[[kind]]
  for (k in seq_len(nrow(schema))) {
    name <- schema$name[[k]]
    if (is.null(values[[name]])) {
      values[name] <- list(schema$default[[k]])
    } else if (schema$type[[k]] %in% names(engine_schema())) {
      values[[name]] <- engine_settings(schema$type[[k]], values[[name]])
    }
  }
  values
}

engine_schema <- local({
  schema <- NULL
  function() {
    if (is.null(schema)) schema <<- sclm_config_schema()
    schema
  }
})

# The parts of a config the core's model reads.
engine_model_settings <- function(config, n_classes) {
  engine_settings("model", list(
    n_features = length(config$features), n_classes = as.integer(n_classes), dim = config$dim,
    n_layers = config$n_layers, n_heads = config$n_heads, ff_dim = config$ff_dim, dropout = config$dropout,
    attention = config$attention, performer_features = config$performer_features, linformer_k = config$linformer_k,
    share_projection = config$share_projection, redraw_interval = config$redraw_interval, head = config$head,
    subvectors = config$subvectors))
}

# The parts of a config the core's tokenizer reads.
engine_tokenizer_settings <- function(config) {
  engine_settings("tokenizer", list(
    max_tokens = config$max_tokens, max_bin = config$max_bin, scale_factor = config$scale_factor,
    bins_per_log2 = config$bins_per_log2, kind = config$tokenizer, full_length = config$full_length,
    zero_share = config$zero_share, seed = 1, gene_scale = as.numeric(config$gene_scale)))
}

# ---- errors, warnings, progress ---------------------------------------------------------------

# Runs a core call, turning C++ errors into R errors that name the verb (`call`) and LibTorch's
# warnings into R warnings of the verb.
engine_call <- function(expr, call = parent.frame()) {
  withCallingHandlers(
    tryCatch(expr, error = function(e) {
      if (inherits(e, "rlang_error")) stop(e)
      cli::cli_abort(c("The scLM engine stopped.", "x" = conditionMessage(e)), call = call)
    }),
    warning = function(w) {
      if (startsWith(conditionMessage(w), "LibTorch")) {
        cli::cli_warn(conditionMessage(w), call = call)
        invokeRestart("muffleWarning")
      }
    })
}

# cli progress for training: a bar over all steps and a line per epoch on a dynamic terminal,
# only the epoch lines elsewhere (as cli's own dynamic-tty detection decides). The bar belongs to
# the frame `env` and ends with it. The glue runs the callbacks with interrupts held back: a
# Ctrl-C that lands in one stops training as one between steps does.
engine_progress <- function(verbose, epochs, models = 1L, env = parent.frame()) {
  noop <- function(...) NULL
  if (!verbose) return(list(on_step = noop, on_epoch = noop, done = noop))
  line <- function(s) {
    # accuracy is NaN for reconstruction objectives (SCTrans pretraining)
    accuracy <- function(a) if (is.nan(a)) "" else sprintf(", accuracy %.3f", a)
    val <- if (is.na(s$val_loss)) "" else sprintf(", validation loss %.3f%s", s$val_loss, accuracy(s$val_accuracy))
    model <- if (models > 1L) sprintf("model %d/%d, ", s$model, models) else ""
    sprintf("%sepoch %d/%d: loss %.3f%s%s (%.1fs)", model, s$epoch, epochs, s$train_loss, accuracy(s$train_accuracy),
            val, s$seconds)
  }
  if (!cli::is_dynamic_tty()) {
    # Rscript logs, knitr: a bar would print a line per update; one line per epoch instead
    return(list(on_step = noop, on_epoch = function(s) cli::cli_inform("{line(s)}"), done = noop))
  }
  bar <- NULL
  list(
    on_step = function(step, total) {
      if (is.null(bar)) {
        bar <<- cli::cli_progress_bar("Training", total = total, .envir = env, clear = TRUE, auto_terminate = FALSE)
      }
      cli::cli_progress_update(id = bar, set = step, .envir = env)
    },
    on_epoch = function(s) cli::cli_progress_output(line(s), id = bar, .envir = env),
    done = function() if (!is.null(bar)) cli::cli_progress_done(id = bar, .envir = env)
  )
}

# Ctrl-C stops training in the core, which returns the best weights so far: say so, or, when no
# epoch had ended, that there is nothing to return.
engine_report_interrupt <- function(fit, note = NULL, call = parent.frame()) {
  if (!fit$interrupted) return(invisible(fit))
  if (fit$best_epoch < 1L) {
    cli::cli_abort(c("Training was interrupted before its first epoch ended: nothing was trained.",
                     "i" = "Run it again; pass {.arg checkpoint} to be able to resume a long training."),
                   call = call, class = "scLM_interrupted")
  }
  cli::cli_warn(c("Training was interrupted after {nrow(fit$history)} epoch{?s}.",
                  "i" = paste0("Returning the model with the best weights so far (epoch {fit$best_epoch})", note, ".")),
                call = call)
  invisible(fit)
}

# ---- backend and model files ------------------------------------------------------------------

engine_backend_info <- function() sclm_backend_info()

engine_checksum <- function(bytes) sclm_checksum(bytes)

# The k-th largest value of each column of a dense matrix (NaN skipped; NaN where fewer remain).
engine_kth_largest <- function(m, k) sclm_kth_largest(m, as.integer(k))

# Plain R data (vectors, lists, checked attributes) <-> the bytes of a model file.
engine_encode_data <- function(x) sclm_encode_data(x)
engine_decode_data <- function(bytes) sclm_decode_data(bytes)

# Errors unless the weights have the names, types and shapes `config` implies (`classifier`:
# raw(0) for a pretrained encoder).
engine_validate_weights <- function(classifier, encoder, config, n_classes) {
  sclm_validate_weights(classifier, encoder, engine_model_settings(config, n_classes),
                        engine_tokenizer_settings(config))
}

# ---- vocabulary statistics --------------------------------------------------------------------

# Per-gene sums over a block of cells, added to `running` (NULL at the first block).
engine_feature_stats <- function(counts, scale_factor, running = NULL) {
  sclm_feature_stats(counts, scale_factor, TRUE, running)
}

engine_standardized_sums <- function(counts, mean, expected_sd, clip, running = NULL) {
  sclm_standardized_sums(counts, mean, expected_sd, clip, running)
}

engine_standardized_variance <- function(sums, mean, expected_sd, clip, n_cells) {
  sclm_standardized_variance(sums, mean, expected_sd, clip, n_cells)
}

# Geneformer's gene medians of the rank tokenizer over checked blocks `counts_list`.
engine_gene_medians <- function(counts_list, maps, config) {
  sclm_gene_medians(counts_list, maps, length(config$features), config$scale_factor)
}

# ---- peaks and islands ------------------------------------------------------------------------

engine_parse_peaks <- function(names) sclm_parse_peaks(names)

engine_peak_islands <- function(chrom, start, end, size) sclm_peak_islands(chrom, start, end, size)

engine_map_peaks <- function(chrom, start, end, island_chrom, island_bin, size) {
  sclm_map_peaks(chrom, start, end, island_chrom, island_bin, size)
}

# The islands x cells dgCMatrix (row names `names`) of the peaks x cells dgCMatrix `counts`, for a
# peak -> island map from engine_map_peaks().
engine_island_counts <- function(counts, map, names) dgc_from_parts(sclm_island_counts(counts, map), names, colnames(counts))

# ---- sparse matrices --------------------------------------------------------------------------

# dgCMatrix `counts` with its rows mapped by `row_map` (0-based; -1: dropped) onto `n_rows` rows,
# the entries that meet in a row of a cell summed (no row names): one pass over the entries.
engine_mapped_rows <- function(counts, row_map, n_rows) {
  dgc_from_parts(sclm_mapped_rows(counts, as.integer(row_map), as.integer(n_rows)), NULL, colnames(counts))
}

# dgCMatrix `counts` as a model fine-tuned with down-sampling of `strength` reads it on average:
# each cell of whole counts at the mean of the levels its thinned copies take in training, one row
# appended (no row names) for what its counts lost, so that it keeps its total.
engine_thinned_average <- function(counts, strength, scale_factor) {
  dgc_from_parts(sclm_thinned_average(counts, strength, scale_factor), NULL, colnames(counts))
}

# A dgCMatrix of its slots: list(p, i, x, n_rows), as the core returns them.
dgc_from_parts <- function(parts, rownames, colnames) {
  methods::new("dgCMatrix", i = parts$i, p = parts$p, x = parts$x, Dim = c(parts$n_rows, length(parts$p) - 1L),
               Dimnames = list(rownames, colnames))
}

# ---- training ---------------------------------------------------------------------------------

# An empty store of cells as the model of `config` reads them: the core picks tokens (token
# models) or sparse expression levels (SCTrans models) from the settings.
engine_cell_store <- function(config) {
  sclm_cell_store(engine_model_settings(config, 0L), engine_tokenizer_settings(config))
}

# Adds a checked block of cells (rows mapped to the vocabulary by `map`; cell ids from
# `first_cell_id`) to `store`; returns the number of cells the store holds.
engine_store_cells <- function(store, counts, map, first_cell_id, call = parent.frame()) {
  engine_call(sclm_store_cells(store, counts, map, first_cell_id), call = call)
}

# Trains one classifier per element of `members` (train settings; `labels`: 0-based class codes)
# on the cells of `store`, with a progress bar when `verbose`: a list of fits, one per model
# trained (the core trains them side by side on the CPU, one after another otherwise; after an
# interrupt, engine_kept_fits()).
engine_train <- function(store, config, labels, n_classes, members, verbose, call = parent.frame()) {
  progress <- engine_progress(verbose, members[[1]]$epochs, length(members))
  fits <- engine_call(sclm_train_classifiers(store, labels, engine_model_settings(config, n_classes),
                                             engine_tokenizer_settings(config),
                                             lapply(members, function(m) engine_settings("train", m)),
                                             progress$on_step, progress$on_epoch), call = call)
  progress$done()
  engine_kept_fits(fits, length(members), call = call)
}

# The fits of an ensemble of `n_models` that training kept: those before the first model that
# ended no epoch (an interrupt), with a warning for the first model stopped early and one for the
# models lost; an error when the first model ended none.
engine_kept_fits <- function(fits, n_models, call = parent.frame()) {
  trained <- vapply(fits, function(fit) fit$best_epoch >= 1L, logical(1))
  kept <- if (all(trained)) length(fits) else which(!trained)[1] - 1L
  if (kept == 0L) engine_report_interrupt(fits[[1]], call = call)  # errors: nothing was trained
  stopped <- Find(function(fit) fit$interrupted, fits[seq_len(kept)])
  if (!is.null(stopped)) engine_report_interrupt(stopped, "; the unknown-cell calibration was skipped", call = call)
  if (kept < n_models) {
    cli::cli_warn("Training was interrupted before model {kept + 1} of {n_models} had trained an epoch: the ensemble keeps {kept}.",
                  call = call)
  }
  fits[seq_len(kept)]
}

# Pretrains an encoder on the cells of `store` with the masking settings `masking`.
engine_pretrain <- function(store, config, train, masking, verbose, call = parent.frame()) {
  progress <- engine_progress(verbose, train$epochs)
  fit <- engine_call(sclm_pretrain(store, engine_model_settings(config, 0L), engine_tokenizer_settings(config),
                                   engine_settings("train", train), engine_settings("pretrain", masking),
                                   progress$on_step, progress$on_epoch), call = call)
  progress$done()
  engine_report_interrupt(fit, call = call)
}

# ---- inference on a checked block of cells ----------------------------------------------------
# `weights`: a classifier's weights (classify, salience) or an encoder's (embed, attention);
# `map`: the vocabulary index of each row of `counts`; `run`: batch size, threads, device, precision.

engine_classify <- function(weights, config, n_classes, counts, map, run, with_embeddings, call = parent.frame()) {
  engine_call(sclm_classify(weights, engine_model_settings(config, n_classes), engine_tokenizer_settings(config),
                            counts, map, engine_settings("run", run), with_embeddings), call = call)
}

# The logits of an ensemble (`members`: a list of classifier weights): the mean of its models'
# logits, whose softmax is the normalised geometric mean of their probabilities. The first model's
# logits (`first_logits`) and embeddings (when asked for) feed the unknown-cell scores, calibrated
# on that model's held-out cells (which the other models trained on).
engine_classify_members <- function(members, config, n_classes, counts, map, run, with_embeddings, call = parent.frame()) {
  out <- engine_classify(members[[1]], config, n_classes, counts, map, run, with_embeddings, call = call)
  out$first_logits <- out$logits
  for (weights in members[-1]) {
    out$logits <- out$logits + engine_classify(weights, config, n_classes, counts, map, run, FALSE, call = call)$logits
  }
  out$logits <- out$logits / length(members)
  out
}

engine_embed <- function(weights, config, n_classes, counts, map, run, call = parent.frame()) {
  engine_call(sclm_embed(weights, engine_model_settings(config, n_classes), engine_tokenizer_settings(config),
                         counts, map, engine_settings("run", run)), call = call)
}

engine_attention <- function(weights, config, n_classes, counts, map, run, call = parent.frame()) {
  engine_call(sclm_gene_attention(weights, engine_model_settings(config, n_classes), engine_tokenizer_settings(config),
                                  counts, map, engine_settings("run", run)), call = call)
}

engine_salience <- function(weights, config, n_classes, counts, map, run, call = parent.frame()) {
  engine_call(sclm_salience(weights, engine_model_settings(config, n_classes), engine_tokenizer_settings(config),
                            counts, map, engine_settings("run", run)), call = call)
}
