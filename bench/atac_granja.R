# scATAC-seq annotation (annATAC) on real human bone-marrow cells: ../shared/data/atac_granja2019_bm_subset
# (600 cells, 5,000 hg19 peaks, 6 types). Three parts, each writing bench/results/atac_granja_<part>.csv:
#   cv        5-fold stratified cross-validation: scLM variants vs TF-IDF + LSI + logistic regression
#             (glmnet), computed on the same folds.
#   pretrain  annATAC's ablation on the standard 80/20 split: test accuracy after 1 epoch and after
#             convergence, fine-tuned from scratch and from an encoder pretrained (masked islands,
#             class-balanced masking) on all 600 cells without labels.
#   full_length  the standard split: annATAC's full-length sequences (every island, open or not)
#             against the default open-island tokens, accuracy and time.
#   novel     each type in turn left out of fine-tuning: share of its test cells called unknown
#             and share of the other test cells wrongly called unknown, by max probability < 0.5
#             (annATAC) and by Mahalanobis distance (calibrated on held-out reference cells).
# Usage (from the repository root): Rscript bench/atac_granja.R <part> [variant,...]
suppressPackageStartupMessages(library(scLM))
source("bench/shared_data.R")
source("inst/scripts/standard_split.R")
args <- commandArgs(TRUE)
part <- if (length(args)) args[1] else "cv"
d <- read_shared("atac_granja2019_bm_subset")
y <- d$cell_type
dir.create("bench/results", showWarnings = FALSE)

variants <- list(
  annatac = list(config = list(), train = list()),
  annatac_full_attention = list(config = list(attention = "full"), train = list()),
  annatac_learned_positions = list(config = list(position_embedding = "learned"), train = list()),
  annatac_unfrozen_svd = list(config = list(freeze_positions = FALSE), train = list()),
  annatac_mlp_head = list(config = list(head = "mlp"), train = list())
)
chosen <- if (length(args) > 1) strsplit(args[2], ",")[[1]] else names(variants)

fit_scLM <- function(v, train, seed = 1, ...) {
  cfg <- do.call(annatac_config, variants[[v]]$config)
  do.call(finetune, c(list(cfg, d$counts[, train], y[train], class_weights = "annatac", seed = seed, verbose = FALSE),
                      variants[[v]]$train, list(...)))
}

# Signac-style log TF-IDF on peaks, LSI (irlba) fitted on the training cells, components 2-30
# (the first follows sequencing depth), then multinomial lasso (cv.glmnet).
lsi_glmnet <- function(train, test) {
  tfidf <- function(m, idf) {
    m@x <- m@x / rep(Matrix::colSums(m), diff(m@p))
    m@x <- log1p(m@x * idf[m@i + 1L] * 1e4)
    m
  }
  m <- d$counts
  idf <- length(train) / pmax(Matrix::rowSums(m[, train] > 0), 1)
  set.seed(1)
  s <- irlba::irlba(tfidf(m[, train], idf), nv = 30)
  project <- function(cells) as.matrix(Matrix::t(tfidf(m[, cells], idf)) %*% s$u %*% diag(1 / s$d))[, 2:30]
  x_train <- project(train)
  centre <- colMeans(x_train); scale <- apply(x_train, 2, sd)
  fit <- glmnet::cv.glmnet(scale(x_train, centre, scale), y[train], family = "multinomial")
  as.character(predict(fit, scale(project(test), centre, scale), s = "lambda.min", type = "class"))
}

folds <- function(labels, k = 5, seed = 1) {
  set.seed(seed)
  fold <- integer(length(labels))
  for (cl in sort(unique(labels))) {
    ii <- which(labels == cl)
    fold[ii] <- sample(rep_len(seq_len(k), length(ii)))
  }
  fold
}

score <- function(truth, pred) c(accuracy = mean(pred == truth), macro_f1 = macro_f1(truth, pred))

if (part == "cv") {
  fold <- folds(y)
  rows <- list()
  for (f in 1:5) {
    train <- which(fold != f); test <- which(fold == f)
    t0 <- proc.time()[["elapsed"]]
    s <- score(y[test], lsi_glmnet(train, test))
    rows[[length(rows) + 1]] <- data.frame(method = "tfidf_lsi_glmnet", fold = f, t(s), seconds = proc.time()[["elapsed"]] - t0)
    for (v in chosen) {
      t0 <- proc.time()[["elapsed"]]
      model <- fit_scLM(v, train)
      pred <- annotate_cells(model, d$counts[, test], verbose = FALSE)$labels
      rows[[length(rows) + 1]] <- data.frame(method = v, fold = f, t(score(y[test], pred)),
                                             seconds = proc.time()[["elapsed"]] - t0)
      print(utils::tail(rows[[length(rows)]], 1))
    }
  }
  res <- do.call(rbind, rows)
  out <- sprintf("bench/results/atac_granja_cv%s.csv", if (length(args) > 1) paste0("_", gsub(",", "_", args[2])) else "")
  utils::write.csv(res, out, row.names = FALSE)
  print(aggregate(cbind(accuracy, macro_f1, seconds) ~ method, res, mean))
}

if (part == "pretrain") {
  split <- stratified_split(y)
  t0 <- proc.time()[["elapsed"]]
  encoder <- pretrain(d$counts, annatac_config(), epochs = 30, balanced_masking = TRUE, seed = 1, verbose = FALSE)
  pretrain_seconds <- proc.time()[["elapsed"]] - t0
  rows <- list()
  for (start in c("scratch", "pretrained")) {
    from <- if (start == "scratch") annatac_config() else encoder
    for (epochs in c(1L, 30L)) {
      model <- finetune(from, d$counts[, split$train], y[split$train], epochs = epochs, class_weights = "annatac",
                        seed = 1, verbose = FALSE)
      pred <- annotate_cells(model, d$counts[, split$test], verbose = FALSE)$labels
      rows[[length(rows) + 1]] <- data.frame(start = start, max_epochs = epochs, epochs_run = nrow(model$history),
                                             best_epoch = model$training$best_epoch,
                                             t(score(y[split$test], pred)))
      print(utils::tail(rows[[length(rows)]], 1))
    }
  }
  res <- do.call(rbind, rows)
  res$pretrain_seconds <- round(pretrain_seconds)
  utils::write.csv(res, "bench/results/atac_granja_pretrain.csv", row.names = FALSE)
  print(res)
}

if (part == "novel") {
  split <- stratified_split(y)
  rows <- list()
  for (held in sort(unique(y))) {
    train <- split$train[y[split$train] != held]
    model <- finetune(annatac_config(), d$counts[, train], y[train], class_weights = "annatac", seed = 1, verbose = FALSE)
    novel <- y[split$test] == held
    for (method in c("max_prob", "mahalanobis")) {
      pred <- annotate_cells(model, d$counts[, split$test], threshold = 0.5, unknown_method = method, verbose = FALSE)
      unknown <- pred$pruned.labels == "Unknown"
      rows[[length(rows) + 1]] <- data.frame(held_out = held, method = method, novel_flagged = mean(unknown[novel]),
                                             known_flagged = mean(unknown[!novel]),
                                             known_accuracy = mean(pred$labels[!novel] == y[split$test][!novel]))
      print(utils::tail(rows[[length(rows)]], 1))
    }
  }
  res <- do.call(rbind, rows)
  utils::write.csv(res, "bench/results/atac_granja_novel.csv", row.names = FALSE)
  print(res)
  print(aggregate(cbind(novel_flagged, known_flagged, known_accuracy) ~ method, res, mean))
}

if (part == "full_length") {
  split <- stratified_split(y)
  rows <- list()
  for (full in c(FALSE, TRUE)) {
    t0 <- proc.time()[["elapsed"]]
    model <- finetune(annatac_config(full_length = full), d$counts[, split$train], y[split$train],
                      class_weights = "annatac", seed = 1, verbose = FALSE)
    pred <- annotate_cells(model, d$counts[, split$test], verbose = FALSE)$labels
    rows[[length(rows) + 1]] <- data.frame(full_length = full, epochs_run = nrow(model$history),
                                           best_epoch = model$training$best_epoch,
                                           seconds_per_step = model$training$seconds_per_step,
                                           t(score(y[split$test], pred)), seconds = proc.time()[["elapsed"]] - t0)
    print(utils::tail(rows[[length(rows)]], 1))
  }
  res <- do.call(rbind, rows)
  utils::write.csv(res, "bench/results/atac_granja_full_length.csv", row.names = FALSE)
}
