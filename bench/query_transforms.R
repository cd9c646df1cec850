# What annotate_cells() could do with the query it is given, without refitting (issue 23): the same
# default model (seeds 1-3) annotates the query as it is and under rules that read the query as a
# whole. Each rule's labels are scored against the truth beside the as-is labels of the same fit.
# - "tta<k>": test-time augmentation: the probabilities of the query as it is averaged with those of
#   k copies whose counts are thinned binomially to half (seeded), the depth augmentation the
#   default model trains with (finetune(downsample = )).
# - "capture_class": another platform captures each gene with its own efficiency (stop 31's
#   gene-scale noise mimicked it in training). Each query gene is rescaled by the reference's
#   class mean over the query's (CP10k, pseudo-count 0.1), the median over the classes with at least
#   10 cells on both sides, the query's classes taken from the as-is labels; factors kept within
#   [1/8, 8]; then annotated again. "capture_class2": the same, re-estimated once from the second
#   labels. "capture_global": one ratio of all cells' means, whatever the classes (the query's mix
#   then biases it). "_eps<E>" sets the pseudo-count, "_pow<P>" raises the factors to P (0.5: halfway).
#   Rscript bench/query_transforms.R [task ...]   (after `make install`; tasks of
#   bench/annotation_common.R; rows appended to bench/results/query_transforms.tsv; the cells each
#   rule relabels go to stderr)
# env SCLM_BENCH_SEEDS (default 1,2,3); SCLM_BENCH_RULES (default tta2,tta4,capture_class,
# capture_class2,capture_global); SCLM_BENCH_DIR keeps the fitted models and reads them back.
source("bench/annotation_common.R")
seeds <- bench_seeds()
out <- "bench/results/query_transforms.tsv"

# Counts, or for log-normalised inputs the per-cell normalised values, as scLM reads them (its own
# detection of the log's base: the pancreas sets are log2; rows of 2026-12-06 03:0x-03:3x undid
# them with expm1, a wrong scale, and their pancreas figures are void).
linear_scale <- function(m) {
  source <- suppressMessages(scLM:::cell_source(m, NULL, NULL))
  scLM:::source_cells(source, seq_len(ncol(m)))
}
cp10k <- function(m) m %*% Matrix::Diagonal(x = 1e4 / Matrix::colSums(m))

# Half of each count kept, binomially (non-whole values, from log-normalised inputs, rounded first).
thinned <- function(m, seed) {
  set.seed(seed)
  m@x <- as.numeric(stats::rbinom(length(m@x), round(m@x), 0.5))
  Matrix::drop0(m)
}

probabilities <- function(model, x) suppressWarnings(annotate_cells(model, x, verbose = FALSE)$probabilities)
labels_of <- function(p) colnames(p)[max.col(p, ties.method = "first")]

# Per-gene factors that bring the query's class means to the reference's.
capture_factors <- function(ref, ref_labels, query, query_labels, min_cells = 10L, eps = 0.1, by_class = TRUE) {
  ref <- cp10k(ref)
  query <- cp10k(query)
  if (!by_class) {
    ref_labels <- rep("all", ncol(ref))
    query_labels <- rep("all", ncol(query))
  }
  n_ref <- table(ref_labels)
  n_query <- table(query_labels)
  classes <- intersect(names(n_ref)[n_ref >= min_cells], names(n_query)[n_query >= min_cells])
  log_ratio <- vapply(classes, function(k) {
    log((Matrix::rowMeans(ref[, ref_labels == k, drop = FALSE]) + eps) /
          (Matrix::rowMeans(query[, query_labels == k, drop = FALSE]) + eps))
  }, numeric(nrow(ref)))
  f <- exp(apply(matrix(log_ratio, nrow = nrow(ref)), 1, stats::median))
  pmin(pmax(f, 1 / 8), 8)
}
rescaled <- function(query, f) {
  query@x <- query@x * f[query@i + 1L]
  query
}

# A rule's query probabilities. "capture_<class|global>[_eps<E>][_pow<P>]": factors of pseudo-count
# E (default 0.1 CP10k) raised to the power P (default 1; 0.5 moves the query halfway).
rule_probabilities <- function(rule, model, p0, ref, ref_labels, query, seed) {
  if (grepl("^tta[0-9]+$", rule)) {
    k <- as.integer(sub("tta", "", rule))
    copies <- lapply(seq_len(k), function(i) probabilities(model, thinned(query, 1000L * seed + i)))
    return((p0 + Reduce(`+`, copies)) / (k + 1))
  }
  m <- regmatches(rule, regexec("^capture_(class|global)(2?)(_eps([0-9.]+))?(_pow([0-9.]+))?$", rule))[[1]]
  if (!length(m)) stop("unknown rule ", rule)
  eps <- if (nzchar(m[5])) as.numeric(m[5]) else 0.1
  power <- if (nzchar(m[7])) as.numeric(m[7]) else 1
  p <- p0
  for (round in seq_len(if (nzchar(m[3])) 2L else 1L)) {
    f <- capture_factors(ref, ref_labels, query, labels_of(p), eps = eps, by_class = m[2] == "class")
    p <- probabilities(model, rescaled(query, f^power))
  }
  p
}
rules <- strsplit(Sys.getenv("SCLM_BENCH_RULES", "tta2,tta4,capture_class,capture_class2,capture_global"), ",")[[1]]
# The default model of a task and seed, kept in env SCLM_BENCH_DIR when set.
kept_model <- function(name, task, seed, keep_dir = Sys.getenv("SCLM_BENCH_DIR")) {
  file <- file.path(keep_dir, sprintf("query_transforms_%s_%d.scLM", gsub("[^A-Za-z0-9_]", "_", name), seed))
  if (nzchar(keep_dir) && file.exists(file)) return(load_model(file))
  model <- default_model(task, seed)
  if (nzchar(keep_dir)) save_model(model, file)
  model
}

tasks <- selected_tasks()
for (name in names(tasks)) {
  task <- tasks[[name]]()
  stopifnot(identical(rownames(task$train), rownames(task$test)))
  ref <- linear_scale(task$train)
  query <- linear_scale(task$test)
  for (seed in seeds) {
    model <- kept_model(name, task, seed)
    p0 <- probabilities(model, task$test)
    as_is <- labels_of(p0)
    r <- do.call(rbind, lapply(c("as_is", rules), function(rule) {
      p <- if (rule == "as_is") p0 else rule_probabilities(rule, model, p0, ref, task$train_labels, query, seed)
      pred <- labels_of(p)
      moved <- pred != as_is
      if (any(moved)) message(rule, " moved (truth: as is -> rule): ",
                              paste(sprintf("%s: %s -> %s", task$test_labels[moved], as_is[moved], pred[moved]), collapse = "; "))
      data.frame(date = format(Sys.time(), "%Y-%m-%d %H:%M"), task = name, seed = seed, rule = rule,
                 macro_f1 = round(macro_f1(task$test_labels, pred), 4), accuracy = round(mean(pred == task$test_labels), 4),
                 changed = sum(moved))
    }))
    print(r, row.names = FALSE)
    utils::write.table(r, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                       col.names = !file.exists(out))
  }
}
