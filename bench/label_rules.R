# Rules that turn one fit's probabilities into labels (issues 23 and 25), each against the argmax
# the package returns, on the same fits:
# - "prior_tau<t>": a model fine-tuned with class weights w_c on n_c reference cells of class c
#   learns probabilities proportional to p(cell | c) * n_c * w_c; dividing them by (n_c * w_c)^t
#   moves the labels from the training's class mix (t = 0, the package's labels) towards equal
#   priors (t = 1, the rule that minimises the error averaged over classes); t < 0 goes the other way.
# - "knn_smooth<a>": each query cell's probabilities mixed with the mean of its 15 nearest query
#   cells' (share a), neighbours found on the query's own first 30 principal components
#   (log1p(CP10k), 2,000 most variable genes; for peaks TF-IDF + LSI without the first component),
#   cosine: label propagation over the query, as graph-based label transfer does.
#   "knn_smooth<a>_guarded": the same, except that a cell keeps the argmax's label wherever the
#   argmax or the smoothed label is a class of fewer than 20 reference cells (rare types are what
#   smoothing took in stop 36).
# - "seed_ensemble" (a row per set of two or more seeds, seed "1+2", ..., "1+2+3"): the
#   probabilities of those seeds' fits averaged, an ensemble of the run's default models at as many
#   times the training time; "seed_ensemble_prior_tau0.25", the same divided by the prior as above;
#   "seed_ensemble_logits", their mean logits (mean log-probabilities: the normalised geometric
#   mean), as finetune(n_models =) models average them.
# - "em_prior": the query's class mix estimated by expectation-maximisation (Saerens et al. 2002):
#   starting from the training prior, each cell's probabilities are reweighted by the estimated
#   prior over the training prior and the estimate set to their mean, until it settles; the labels
#   are the reweighted argmax (label-shift correction, as the query's mix differs from the reference's).
#   Rscript bench/label_rules.R [task ...]
# env SCLM_BENCH_SEEDS (default 1,2,3); SCLM_BENCH_RULES (default: all) names the rules to write;
# SCLM_BENCH_DIR, when set, keeps each default fit's test probabilities there
# (label_rules_<task>_<seed>.rds) and reuses them when present (fit_s is then NA). Appends rows
# "<rule>" to bench/results/annotation_levers.tsv.
source("bench/annotation_common.R")
seeds <- bench_seeds()
taus <- c(-0.5, -0.25, 0, 0.25, 0.5, 1)
shares <- c(0.25, 0.5)

# log(n_c * w_c): the log prior a model's probabilities carry (up to a constant), from its
# training summary and the weights finetune() gave its classes.
class_weight_values <- utils::getFromNamespace("class_weight_values", "scLM")
log_training_prior <- function(model) {
  n <- as.numeric(model$training$class_counts[model$labels])
  log(n * class_weight_values(model$training$class_weights, n))
}

# The default model's test probabilities and log training prior, fitted or read back.
default_fit <- function(name, task, seed) {
  kept_fit(sprintf("label_rules_%s_%d", name, seed), function() {
    t0 <- proc.time()[["elapsed"]]
    model <- default_model(task, seed)
    fit_s <- proc.time()[["elapsed"]] - t0
    list(probabilities = annotate_cells(model, task$test, verbose = FALSE)$probabilities,
         log_prior = log_training_prior(model), fit_s = fit_s)
  })
}

# The 15 nearest query cells of every query cell (cosine on the query's own 30 components).
query_neighbours <- function(test, modality, k = 15L, d = 30L) {
  set.seed(1)
  if (modality == "atac") {
    e <- lsi(test, n = d)$train
  } else {
    x <- lognorm(test)
    mu <- rowMeans(x)
    genes <- order(-(rowMeans(x^2) - mu^2))[seq_len(min(2000L, nrow(x)))]
    e <- irlba::prcomp_irlba(t(as.matrix(x[genes, ])) - rep(mu[genes], each = ncol(x)), n = d, center = FALSE)$x
  }
  BiocNeighbors::findKNN(e / sqrt(rowSums(e^2)), k = k, BNPARAM = BiocNeighbors::AnnoyParam())$index
}

out <- "bench/results/annotation_levers.tsv"
rules <- c(paste0("prior_tau", taus), paste0("knn_smooth", shares), paste0("knn_smooth", shares, "_guarded"),
           "seed_ensemble", "seed_ensemble_prior_tau0.25", "seed_ensemble_logits", "em_prior")
if (nzchar(Sys.getenv("SCLM_BENCH_RULES"))) {
  wanted <- strsplit(Sys.getenv("SCLM_BENCH_RULES"), ",")[[1]]
  if (length(setdiff(wanted, rules))) stop("unknown rules ", toString(setdiff(wanted, rules)), "; rules: ", toString(rules))
  rules <- wanted
}
smoothing <- any(startsWith(rules, "knn_smooth"))
# Log-probabilities with the training prior divided out to the power t (prior_tau<t>).
prior_shifted <- function(p, log_prior, t) log(p) - rep(t * log_prior, each = nrow(p))
# Probabilities reweighted to the query's class mix as EM estimates it (em_prior).
em_reweighted <- function(p, log_prior, iterations = 500L) {
  prior <- exp(log_prior) / sum(exp(log_prior))
  q <- prior
  for (i in seq_len(iterations)) {
    r <- p * rep(q / prior, each = nrow(p))
    r <- r / rowSums(r)
    if (max(abs(colMeans(r) - q)) < 1e-7) break
    q <- colMeans(r)
  }
  r
}
argmax_labels <- function(scores) colnames(scores)[max.col(scores, ties.method = "first")]
write_rule <- function(rule, name, task, seed, scores, fit_s) {
  if (!rule %in% rules) return()
  labels <- argmax_labels(scores)
  r <- result_row(name, "scLM", seed, ncol(task$train), task$test_labels, labels, fit_s)
  utils::write.table(cbind(date = format(Sys.time(), "%Y-%m-%d %H:%M"), variant = rule, r),
                     out, sep = "\t", row.names = FALSE, col.names = FALSE, quote = FALSE, append = TRUE)
}
tasks <- selected_tasks()
for (name in names(tasks)) {
  task <- tasks[[name]]()
  if (smoothing) neighbours <- query_neighbours(task$test, task$modality)
  fits <- lapply(seeds, function(seed) default_fit(name, task, seed))
  for (i in seq_along(seeds)) {
    p <- fits[[i]]$probabilities
    for (t in taus) write_rule(paste0("prior_tau", t), name, task, seeds[i], prior_shifted(p, fits[[i]]$log_prior, t), fits[[i]]$fit_s)
    write_rule("em_prior", name, task, seeds[i], em_reweighted(p, fits[[i]]$log_prior), fits[[i]]$fit_s)
    if (!smoothing) next
    around <- Reduce(`+`, lapply(seq_len(ncol(neighbours)), function(j) p[neighbours[, j], ])) / ncol(neighbours)
    rare <- names(which(table(task$train_labels) < 20))
    argmax_rare <- argmax_labels(p) %in% rare
    for (a in shares) {
      smoothed <- (1 - a) * p + a * around
      write_rule(paste0("knn_smooth", a), name, task, seeds[i], smoothed, fits[[i]]$fit_s)
      keep <- argmax_rare | argmax_labels(smoothed) %in% rare
      smoothed[keep, ] <- p[keep, ]
      write_rule(paste0("knn_smooth", a, "_guarded"), name, task, seeds[i], smoothed, fits[[i]]$fit_s)
    }
  }
  members <- unlist(lapply(seq_along(seeds)[-1], function(k) utils::combn(seq_along(seeds), k, simplify = FALSE)), recursive = FALSE)
  for (m in members) {
    p <- Reduce(`+`, lapply(fits[m], `[[`, "probabilities")) / length(m)
    fit_s <- sum(vapply(fits[m], `[[`, numeric(1), "fit_s"))
    ensemble <- paste(seeds[m], collapse = "+")
    write_rule("seed_ensemble", name, task, ensemble, p, fit_s)
    write_rule("seed_ensemble_prior_tau0.25", name, task, ensemble, prior_shifted(p, fits[[1]]$log_prior, 0.25), fit_s)
    write_rule("seed_ensemble_logits", name, task, ensemble, Reduce(`+`, lapply(fits[m], function(f) log(f$probabilities))), fit_s)
  }
}
