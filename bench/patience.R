# Early stopping's patience, without refitting: each default fit (finetune(x =, labels =), verbose)
# reports every model's validation loss per epoch; the training loop's own rule (src/core/train/loop.cpp:
# the best epoch is chosen from the first quarter of the epochs on, and training stops after
# `patience` epochs without a lower loss) is replayed on those losses for each patience. Up to its
# best epoch a model trains the same whatever the patience (the learning-rate schedule follows
# `epochs`, not when training stops), so a patience that picks the same best epoch for a model
# gives it the same weights bit for bit, in fewer epochs.
#   Rscript bench/patience.R [task ...]   (after `make install`; tasks of bench/annotation_common.R;
#   rows appended to bench/results/patience.tsv: one per task, seed, model and patience)
# env SCLM_BENCH_SEEDS (default 1,2,3), SCLM_BENCH_PATIENCE (default 3,4,5,6,7,8).
source("bench/annotation_common.R")
seeds <- bench_seeds()
default_patience <- eval(formals(finetune)$patience)
patiences <- union(as.integer(strsplit(Sys.getenv("SCLM_BENCH_PATIENCE", "3,4,5,6,7,8"), ",")[[1]]), default_patience)
out <- "bench/results/patience.tsv"

# The epoch training stops at and the best epoch it keeps, under `patience`, from the validation
# losses of every epoch the fit ran (`epochs`: the planned maximum).
replay <- function(losses, patience, epochs) {
  first_candidate <- (epochs + 3L) %/% 4L
  best <- Inf
  best_epoch <- 0L
  without <- 0L
  for (e in seq_along(losses)) {
    if (losses[e] < best || e == first_candidate) {
      best <- losses[e]
      best_epoch <- e
      without <- 0L
    } else {
      without <- without + 1L
      if (without >= patience && e > first_candidate) return(c(stopped = e, best = best_epoch))
    }
  }
  c(stopped = length(losses), best = best_epoch)
}

# Each model's validation losses, from the epoch lines a verbose fit reports.
fit_losses <- function(task, seed) {
  lines <- character(0)
  t0 <- proc.time()[["elapsed"]]
  model <- withCallingHandlers(
    finetune(x = task$train, labels = task$train_labels, seed = seed, verbose = TRUE),
    message = function(m) {
      lines <<- c(lines, conditionMessage(m))
      invokeRestart("muffleMessage")
    })
  fit_s <- proc.time()[["elapsed"]] - t0
  member <- cumsum(grepl("^Model [0-9]+ of", lines))
  epoch <- grepl("^epoch [0-9]+/", lines)
  if (!any(member > 0)) member[] <- 1L  # one model: no "Model i of n" lines
  losses <- split(as.numeric(sub(".*validation loss ([0-9.]+).*", "\\1", lines[epoch])), member[epoch])
  list(losses = losses, epochs = model$training$epochs, fit_s = fit_s)
}

tasks <- selected_tasks()
for (name in names(tasks)) {
  task <- tasks[[name]]()
  for (seed in seeds) {
    fit <- fit_losses(task, seed)
    rows <- do.call(rbind, lapply(seq_along(fit$losses), function(i) {
      losses <- fit$losses[[i]]
      do.call(rbind, lapply(patiences, function(p) {
        r <- replay(losses, p, fit$epochs)
        data.frame(date = format(Sys.time(), "%Y-%m-%d %H:%M"), task = name, seed = seed, model = i, patience = p,
                   epochs_run = r[["stopped"]], best_epoch = r[["best"]], fit_s = round(fit$fit_s, 1))
      }))
    }))
    # The default's own run is what the fit did: replaying it must give the epochs it ran.
    default <- rows[rows$patience == default_patience, ]
    stopifnot(all(default$epochs_run == lengths(fit$losses)))
    rows$same_best <- rows$best_epoch == default$best_epoch[match(rows$model, default$model)]
    print(rows[rows$patience %in% c(5L, default_patience), c("task", "seed", "model", "patience", "epochs_run", "best_epoch", "same_best")],
          row.names = FALSE)
    utils::write.table(rows, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                       col.names = !file.exists(out))
  }
}
