# The annotation tasks of ../shared/data/README.md's baseline table and their baselines, shared by
# bench/annotation_tasks.R (package defaults) and bench/annotation_levers.R (variants).
suppressPackageStartupMessages({
  library(scLM)
  library(Matrix)
})
source("bench/shared_data.R")
source("inst/scripts/standard_split.R")

# --- tasks: list(train = counts, train_labels, test = counts, test_labels, modality) ---------------
split_task <- function(name, modality = "rna") {
  function() {
    d <- read_shared(name)
    s <- stratified_split(d$cell_type)
    list(train = d$counts[, s$train], train_labels = d$cell_type[s$train], test = d$counts[, s$test],
         test_labels = d$cell_type[s$test], modality = modality)
  }
}
# Cross-dataset: shared features; train classes with fewer than 3 cells dropped, and test cells of
# classes the reference lacks dropped (as the baselines of ../shared/data did). `relabel`: a map of
# labels (names) onto another set's (values), for sets whose labels differ (across labs).
cross_task <- function(train_name, test_name, types = NULL, batch = NULL, relabel = NULL) {
  function() {
    a <- relabelled(read_shared(train_name), relabel)
    b <- if (is.null(batch)) relabelled(read_shared(test_name), relabel) else a
    if (!is.null(batch)) {
      keep_a <- a$batch != batch
      keep_b <- b$batch == batch
      a <- list(counts = a$counts[, keep_a], cell_type = a$cell_type[keep_a])
      b <- list(counts = b$counts[, keep_b], cell_type = b$cell_type[keep_b])
    }
    genes <- intersect(rownames(a$counts), rownames(b$counts))
    n <- table(a$cell_type)
    ok_a <- a$cell_type %in% names(n)[n >= 3] & (is.null(types) | a$cell_type %in% types)
    ok_b <- b$cell_type %in% a$cell_type[ok_a]
    list(train = a$counts[genes, ok_a], train_labels = a$cell_type[ok_a], test = b$counts[genes, ok_b],
         test_labels = b$cell_type[ok_b], modality = "rna")
  }
}
relabelled <- function(d, map) {
  mapped <- d$cell_type %in% names(map)
  d$cell_type[mapped] <- unname(map[d$cell_type[mapped]])
  d
}
# A small reference: `fraction` of a task's training cells (stratified, at least 2 per class), tested
# on the same test cells.
small_task <- function(task, fraction = 0.1) {
  function() {
    t <- task()
    set.seed(1)
    keep <- unlist(lapply(split(seq_along(t$train_labels), t$train_labels), function(i) {
      i[sample.int(length(i), min(length(i), max(2L, round(fraction * length(i)))))]
    }), use.names = FALSE)
    keep <- sort(keep)
    t$train <- t$train[, keep]
    t$train_labels <- t$train_labels[keep]
    t
  }
}
# A gene panel: the reference and the query hold only the reference's `n` most variable genes
# (variance of log1p(CP10k) over the reference's cells), as a targeted panel or a heavily filtered
# set would; the baselines read the same genes.
panel_task <- function(task, n) function() on_panel(task(), n)
on_panel <- function(t, n) {
  l <- lognorm(t$train)
  v <- Matrix::rowMeans(l^2) - Matrix::rowMeans(l)^2
  genes <- names(sort(v, decreasing = TRUE))[seq_len(min(length(v), n))]
  t$train <- t$train[genes, ]
  t$test <- t$test[genes, ]
  t
}
pancreas <- c("alpha", "beta", "delta", "gamma")
annotation_tasks <- list(
  "pbmc3k" = split_task("pbmc3k_10x_seurat_labels"),
  "pbmc3k:10%" = small_task(split_task("pbmc3k_10x_seurat_labels")),
  "symphony:3pv1" = cross_task("pbmc_3x10x_symphony_1767genes", NULL, batch = "3pv1"),
  "symphony:3pv2" = cross_task("pbmc_3x10x_symphony_1767genes", NULL, batch = "3pv2"),
  "symphony:5p" = cross_task("pbmc_3x10x_symphony_1767genes", NULL, batch = "5p"),
  "tabula_muris_actinn_1k" = split_task("tabula_muris_actinn_1k"),
  "pancreas:xin->wang" = cross_task("pancreas_xin_subset_lognorm", "pancreas_wang_subset_lognorm", pancreas),
  "pancreas:wang->xin" = cross_task("pancreas_wang_subset_lognorm", "pancreas_xin_subset_lognorm", pancreas),
  "cellline3:celseq2->dropseq" = cross_task("cellline3_celseq2_tian2019", "cellline3_dropseq_tian2019"),
  "cellline3:dropseq->celseq2" = cross_task("cellline3_dropseq_tian2019", "cellline3_celseq2_tian2019"),
  "tabula_muris_bladder" = split_task("tabula_muris_bladder10x_2100_unnamedgenes"),
  "worm_neuron" = split_task("worm_neuron_cao2017_unnamedgenes"),
  "granja_600" = split_task("atac_granja2019_bm_subset", "atac"),
  "granja_d6t1" = split_task("atac_granja2019_bmmc_d6t1", "atac")
)
# Tasks for levers only, named on the command line (not tasks of the issue's table, which
# annotation_tasks.R runs): small references of two more datasets (10% of the training cells, as
# "pbmc3k:10%") and pbmc3k and symphony across labs (every cell of one the reference of the other,
# pbmc3k's labels mapped onto symphony's).
lever_tasks <- list(
  "tabula_muris_bladder:10%" = small_task(annotation_tasks[["tabula_muris_bladder"]]),
  "worm_neuron:10%" = small_task(annotation_tasks[["worm_neuron"]]),
  # small references on a panel of 760 genes, the held-out small reference's size
  "pbmc3k:10%:panel760" = panel_task(annotation_tasks[["pbmc3k:10%"]], 760),
  "tabula_muris_bladder:10%:panel760" = panel_task(small_task(annotation_tasks[["tabula_muris_bladder"]]), 760),
  "worm_neuron:10%:panel760" = panel_task(small_task(annotation_tasks[["worm_neuron"]]), 760),
  # about the held-out reference's cell count too (530 / 500 / 570 cells)
  "pbmc3k:25%:panel760" = panel_task(small_task(annotation_tasks[["pbmc3k"]], 0.25), 760),
  "tabula_muris_bladder:30%:panel760" = panel_task(small_task(annotation_tasks[["tabula_muris_bladder"]], 0.3), 760),
  "worm_neuron:17%:panel760" = panel_task(small_task(annotation_tasks[["worm_neuron"]], 0.17), 760),
  "pbmc:pbmc3k->symphony" = cross_task("pbmc3k_10x_seurat_labels", "pbmc_3x10x_symphony_1767genes", relabel = pbmc3k_to_symphony),
  "pbmc:symphony->pbmc3k" = cross_task("pbmc_3x10x_symphony_1767genes", "pbmc3k_10x_seurat_labels", relabel = pbmc3k_to_symphony),
  # scATAC across donors: every D6T1 cell the reference, the 108 cells of donor D5T1 in the
  # 600-cell subset the query (6 of the 16 types), on the subset's 5,000 peaks.
  "granja:d6t1->d5t1" = function() {
    a <- read_shared("atac_granja2019_bmmc_d6t1")
    b <- read_shared("atac_granja2019_bm_subset")
    peaks <- intersect(rownames(b$counts), rownames(a$counts))
    query <- b$batch == "BMMC_D5T1"
    list(train = a$counts[peaks, ], train_labels = a$cell_type, test = b$counts[peaks, query],
         test_labels = b$cell_type[query], modality = "atac")
  }
)
# --- baselines -------------------------------------------------------------------------------------
lognorm <- function(m) {  # log1p(CP10k); log-normalised inputs are taken as given
  if (all(m@x == round(m@x))) {
    m <- m %*% Diagonal(x = 1e4 / pmax(colSums(m), 1))
    m@x <- log1p(m@x)
  }
  m
}
tfidf <- function(m, idf = NULL) {
  m@x[] <- 1
  tf <- m %*% Diagonal(x = 1 / pmax(colSums(m), 1))
  idf <- idf %||% log(1 + ncol(m) / pmax(rowSums(m), 1))
  tf <- Diagonal(x = idf) %*% tf
  tf@x <- log1p(tf@x * 1e4)
  list(x = tf, idf = idf)
}
# TF-IDF + LSI: the first `n` components after the first (which follows depth) of the cells of
# `train`, and the cells of `test` projected on them (with train's IDF).
lsi <- function(train, test = NULL, n = 49L) {
  tr <- tfidf(train)
  svd <- irlba::irlba(t(tr$x), nv = n + 1L)
  list(train = svd$u[, -1] %*% diag(svd$d[-1]),
       test = if (!is.null(test)) as.matrix(t(tfidf(test, tr$idf)$x) %*% svd$v[, -1]))
}

# The rows of log-normalised `l` of the n highest variances over its cells, highest first.
variable_rows <- function(l, n = 2000L) {
  mu <- rowMeans(l)
  order(-(rowMeans(l^2) - mu^2))[seq_len(min(n, nrow(l)))]
}

# The linear baseline's labels, or with `probabilities = TRUE` its test cells x classes probabilities.
linear_baseline <- function(task, probabilities = FALSE) {
  set.seed(1)
  if (task$modality == "atac") {
    space <- lsi(task$train, task$test)
    pc_train <- space$train
    pc_test <- space$test
  } else {
    tr <- lognorm(task$train)
    te <- lognorm(task$test)
    genes <- variable_rows(tr)
    centre <- rowMeans(tr)[genes]
    x <- t(as.matrix(tr[genes, ])) - rep(centre, each = ncol(tr))
    pca <- irlba::prcomp_irlba(x, n = min(50L, ncol(x) - 1L), center = FALSE)
    pc_train <- pca$x
    pc_test <- (t(as.matrix(te[genes, ])) - rep(centre, each = ncol(te))) %*% pca$rotation
  }
  # Folds stratified by class, so that a 3-cell class keeps cells in every fold's training part;
  # a class of 1-2 cells (small references) stays in every fold's training part.
  y <- factor(task$train_labels)
  foldid <- integer(length(y))
  for (k in split(seq_along(y), y)) if (length(k) >= 3) foldid[k] <- sample(rep_len(1:5, length(k)))
  type <- if (probabilities) "response" else "class"
  answer <- function(p) if (probabilities) p[, , 1] else as.character(p)
  if (all(foldid > 0)) {
    fit <- glmnet::cv.glmnet(pc_train, y, family = "multinomial", foldid = foldid)
    return(answer(predict(fit, pc_test, s = "lambda.min", type = type)))
  }
  # cv.glmnet needs every cell in a fold: the same cross-validated deviance, by hand.
  path <- glmnet::glmnet(pc_train, y, family = "multinomial")
  deviance <- Reduce(`+`, lapply(1:5, function(f) {
    held <- foldid == f
    m <- glmnet::glmnet(pc_train[!held, ], y[!held], family = "multinomial", lambda = path$lambda)
    p <- predict(m, pc_train[held, , drop = FALSE], type = "response")
    idx <- match(as.character(y[held]), dimnames(p)[[2]])
    vapply(seq_len(dim(p)[3]), function(l) -2 * sum(log(pmax(p[cbind(seq_along(idx), idx, l)], 1e-5))), numeric(1))
  }))
  answer(predict(path, pc_test, s = path$lambda[which.min(deviance)], type = type))
}

singler_baseline <- function(task) {
  tr <- lognorm(task$train)
  te <- lognorm(task$test)
  pred <- SingleR::SingleR(test = te, ref = tr, labels = task$train_labels,
                           de.method = if (task$modality == "atac") "wilcox" else "classic")
  pred$labels
}

# Fits with `train(task, seed)` (a function returning an scLM_model), then annotates the test cells.
scLM_run <- function(task, seed, train = default_model) {
  t0 <- proc.time()[["elapsed"]]
  model <- train(task, seed)
  fit <- proc.time()[["elapsed"]] - t0
  pred <- annotate_cells(model, task$test, verbose = FALSE)$labels
  list(labels = pred, fit_s = fit, cells_per_s = annotation_speed(model, task$test))
}
# Cells per second annotating the test cells repeated to at least 5,000 (a small test set would
# time the fixed cost of a call rather than the per-cell work). `...`: more annotate_cells() arguments.
annotation_speed <- function(model, test, ...) {
  big <- test[, rep_len(seq_len(ncol(test)), max(5000L, ncol(test)))]
  t0 <- proc.time()[["elapsed"]]
  suppressMessages(annotate_cells(model, big, verbose = FALSE, ...))
  ncol(big) / (proc.time()[["elapsed"]] - t0)
}
# The package defaults: finetune() picks the model of the data's modality (see default_config()).
default_model <- function(task, seed) finetune(x = task$train, labels = task$train_labels, seed = seed, verbose = FALSE)

# A fit kept in env SCLM_BENCH_DIR as <stem>.rds and read back when present: `make()` returns a
# list (with its own fit_s, which a kept file may lack: NA then).
kept_fit <- function(stem, make, keep_dir = Sys.getenv("SCLM_BENCH_DIR")) {
  file <- file.path(keep_dir, paste0(gsub("[^A-Za-z0-9_]", "_", stem), ".rds"))
  if (nzchar(keep_dir) && file.exists(file)) return(utils::modifyList(list(fit_s = NA), readRDS(file)))
  fit <- make()
  if (nzchar(keep_dir)) saveRDS(fit, file)
  fit
}

# The scLM seeds of a run: env SCLM_BENCH_SEEDS (default 1,2,3).
bench_seeds <- function() as.integer(strsplit(Sys.getenv("SCLM_BENCH_SEEDS", "1,2,3"), ",")[[1]])

# The result rows of the linear baseline and SingleR on `task` (named `name`), each timed.
baseline_rows <- function(name, task) {
  baselines <- list(linear = linear_baseline, SingleR = singler_baseline)
  lapply(names(baselines), function(method) {
    t0 <- proc.time()[["elapsed"]]
    pred <- baselines[[method]](task)
    seconds <- proc.time()[["elapsed"]] - t0
    result_row(name, method, NA, ncol(task$train), task$test_labels, pred, seconds)
  })
}

# One result row.
result_row <- function(task, method, seed, n_train, truth, pred, fit_s = NA, cells_per_s = NA) {
  r <- data.frame(task = task, method = method, seed = seed, n_train = n_train, n_test = length(truth),
                  macro_f1 = round(macro_f1(truth, pred), 4), accuracy = round(mean(pred == truth), 4),
                  fit_s = round(fit_s, 1), cells_per_s = round(cells_per_s))
  print(r, row.names = FALSE)
  r
}

# The tasks named on the command line (those of the issue's table when none; lever_tasks by name).
selected_tasks <- function(wanted = commandArgs(trailingOnly = TRUE)) {
  if (!length(wanted)) return(annotation_tasks)
  known <- c(annotation_tasks, lever_tasks)
  unknown <- setdiff(wanted, names(known))
  if (length(unknown)) {
    stop("unknown task(s): ", paste(unknown, collapse = ", "), "; tasks: ", paste(names(known), collapse = ", "))
  }
  known[wanted]
}
