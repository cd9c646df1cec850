# What finetune() and pretrain() share: their settings, the cell store they train on, and the
# summary a model keeps of its training.

# Settings every training run checks the same way.
train_settings <- function(epochs, batch_size, learning_rate, weight_decay, validation_fraction, patience, seed,
                           num_threads, device, checkpoint, resume, distributed, length_bucketing, precision,
                           call = parent.frame()) {
  if (!is.null(checkpoint)) {
    check_string(checkpoint, "checkpoint", call = call)
    check_writable_folder(dirname(checkpoint), "checkpoint", call = call)
    checkpoint <- normalizePath(checkpoint, mustWork = FALSE)
  }
  check_flag(resume, "resume", call = call)
  if (resume && is.null(checkpoint)) {
    cli::cli_abort(c("{.arg resume} needs a {.arg checkpoint} file.", "i" = "Pass the file the interrupted run wrote."),
                   call = call)
  }
  list(epochs = check_count(epochs, 1L, 10000L, call = call), batch_size = check_count(batch_size, 1L, 1e6, call = call),
       learning_rate = check_number(learning_rate, 1e-8, 1, "learning_rate", call),
       weight_decay = check_number(weight_decay, 0, 1, "weight_decay", call), warmup_fraction = 0.1, clip_norm = 1,
       validation_fraction = check_number(validation_fraction, 0, 0.5, "validation_fraction", call),
       patience = check_count(patience, 1L, call = call), seed = check_count(seed, 0L, call = call),
       num_threads = check_threads(num_threads, call), device = check_device(device, call),
       precision = check_precision(precision, call), checkpoint = checkpoint, resume = resume,
       distributed = check_distributed(distributed, call),
       length_bucketing = check_flag(length_bucketing, "length_bucketing", call = call))
}

# One engine store holding every cell of the cell sources `sources` (whose rows `maps` index
# into the vocabulary) as the model of `config` reads them, cell ids counting through all
# sources. Each block crosses into the engine once. `totals`: per source, NULL for each cell's own
# total, or the mapping (training_totals()) that reads it against the model's gene shares.
store_cells <- function(sources, maps, config, totals = NULL, call = parent.frame()) {
  store <- engine_cell_store(config)
  n_cells <- 0
  for (k in seq_along(sources)) {
    source_walk(sources[[k]], function(counts) {
      block <- training_block(counts, maps[[k]], totals[[k]])
      n_cells <<- engine_store_cells(store, block$counts, block$index, n_cells, call = call)
    })
  }
  store
}

# A block of a training source's cells as the engine reads them: rows mapped into the vocabulary
# by `map`, each cell at its own total, or against the model's gene shares through `totals`
# (training_totals()).
training_block <- function(counts, map, totals) {
  if (is.null(totals)) list(counts = counts, index = map) else read_rows(totals, counts)
}

training_summary <- function(fit, train, started, ...) {
  c(list(...), list(best_epoch = fit$best_epoch, stopped_early = fit$stopped_early, interrupted = fit$interrupted,
                    seconds_per_step = fit$seconds_per_step, n_parameters = fit$n_parameters, epochs = train$epochs,
                    batch_size = train$batch_size, learning_rate = train$learning_rate, seed = train$seed,
                    device = resolved_device(train$device), precision = train$precision,
                    num_threads = train$num_threads,
                    processes = train$distributed$world_size,
                    wall_seconds = proc.time()[["elapsed"]] - started))
}
