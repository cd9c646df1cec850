# finetune() on several references (x = list(...), labels per reference), against the same cells
# pooled by hand on their common genes, against one reference alone, and against SingleR given
# the same references as a list (its own way of combining references) and pooled, and the linear
# baseline on the pooled cells. Human PBMC, labels harmonised to the symphony set's names
# (bench/shared_data.R's pbmc3k_to_symphony):
#   symphony_<batch>: query one symphony 10x batch; references the other two batches (1,767 genes)
#     alone, or with all of pbmc3k (another lab, 13,714 genes) beside them;
#   symphony_<batch>_noB: the same without the symphony reference's B cells, which only the other
#     lab's reference then holds (a reference complemented by another);
#   pbmc3k: query pbmc3k's standard test cells; references pbmc3k's training cells alone, or with
#     all of the symphony set beside them.
# Fits: `one` (the first reference alone, its own genes), `one_common` (the first reference on the
# genes the references and the query share), `list` (finetune(x = list(...))), `pooled` (the
# references' cells joined by hand on those genes). Env SCLM_BENCH_FITS picks some (comma-separated);
# SCLM_BENCH_BASELINES=0 leaves SingleR and the linear model out.
# Macro-F1 over the query cells of classes a reference holds (as cross_task()). Seeds: env
# SCLM_BENCH_SEEDS (default 1,2,3). Results: bench/results/multiple_references.tsv.
# Usage: Rscript bench/multiple_references.R [task ...]
source("bench/annotation_common.R")

pbmc3k <- relabelled(read_shared("pbmc3k_10x_seurat_labels"), pbmc3k_to_symphony)
symphony <- read_shared("pbmc_3x10x_symphony_1767genes")
split <- stratified_split(read_shared("pbmc3k_10x_seurat_labels")$cell_type)
cells <- function(d, keep) list(counts = d$counts[, keep], labels = d$cell_type[keep])

# list(references = list(main, other), query): `main` is the reference of the one-reference fits.
tasks <- list(pbmc3k = function() list(references = list(pbmc3k = cells(pbmc3k, split$train), symphony = cells(symphony, TRUE)),
                                       query = cells(pbmc3k, split$test)))
for (batch in unique(symphony$batch)) {
  tasks[[paste0("symphony_", batch)]] <- local({
    b <- batch
    function() list(references = list(symphony = cells(symphony, symphony$batch != b), pbmc3k = cells(pbmc3k, TRUE)),
                    query = cells(symphony, symphony$batch == b))
  })
  # the symphony reference without its B cells: the other lab's reference brings them
  tasks[[paste0("symphony_", batch, "_noB")]] <- local({
    b <- batch
    function() list(references = list(symphony = cells(symphony, symphony$batch != b & symphony$cell_type != "B"),
                                      pbmc3k = cells(pbmc3k, TRUE)),
                    query = cells(symphony, symphony$batch == b))
  })
}
wanted <- commandArgs(trailingOnly = TRUE)
if (length(wanted)) tasks <- tasks[wanted]

common_genes <- function(refs, query) Reduce(intersect, c(lapply(refs, function(r) rownames(r$counts)), list(rownames(query$counts))))

rows <- list()
for (name in names(tasks)) {
  t <- tasks[[name]]()
  # classes of 3 cells or more over the references (as cross_task()), and the query's cells of them
  n <- table(unlist(lapply(t$references, `[[`, "labels")))
  refs <- lapply(t$references, function(r) cells(list(counts = r$counts, cell_type = r$labels), r$labels %in% names(n)[n >= 3]))
  main <- refs[[1]]
  known <- t$query$labels %in% names(n)[n >= 3]
  query <- list(counts = t$query$counts[, known], labels = t$query$labels[known])
  known_main <- query$labels %in% main$labels
  genes <- common_genes(refs, query)
  pooled <- list(counts = do.call(cbind, lapply(refs, function(r) r$counts[genes, ])), labels = unlist(lapply(refs, `[[`, "labels")))
  cat(sprintf("\n== %s: references %s; query %d cells (%d of classes the first holds); %d common genes\n", name,
              paste(sprintf("%s (%d cells, %d genes)", names(refs), vapply(refs, function(r) ncol(r$counts), 1L),
                            vapply(refs, function(r) nrow(r$counts), 1L)), collapse = " + "),
              ncol(query$counts), sum(known_main), length(genes)))
  row <- function(method, seed, n_train, pred, fit_s = NA) {
    r <- result_row(name, method, seed, n_train, query$labels, pred, fit_s)
    r$b_recall <- round(mean(pred[query$labels == "B"] == "B"), 4)  # the type a _noB task's first reference lacks
    rows[[length(rows) + 1L]] <<- r
  }

  if (Sys.getenv("SCLM_BENCH_BASELINES", "1") == "1") {
  # SingleR: the references as a list (each scored, the best kept), and pooled
  ln <- function(m) lognorm(m[genes, ])
  t0 <- proc.time()[["elapsed"]]
  pred <- SingleR::SingleR(test = ln(query$counts), ref = lapply(refs, function(r) ln(r$counts)),
                           labels = lapply(refs, `[[`, "labels"))$labels
  row("SingleR_list", NA, ncol(pooled$counts), pred, proc.time()[["elapsed"]] - t0)
  t0 <- proc.time()[["elapsed"]]
  pred <- SingleR::SingleR(test = ln(query$counts), ref = lognorm(pooled$counts), labels = pooled$labels)$labels
  row("SingleR_pooled", NA, ncol(pooled$counts), pred, proc.time()[["elapsed"]] - t0)
  t0 <- proc.time()[["elapsed"]]
  pred <- linear_baseline(list(train = pooled$counts, train_labels = pooled$labels, test = query$counts[genes, ], modality = "rna"))
  row("linear_pooled", NA, ncol(pooled$counts), pred, proc.time()[["elapsed"]] - t0)
  }

  for (seed in bench_seeds()) {
    fits <- list(
      one = function() finetune(x = main$counts, labels = main$labels, seed = seed, verbose = FALSE),
      one_common = function() finetune(x = main$counts[genes, ], labels = main$labels, seed = seed, verbose = FALSE),
      list = function() finetune(x = lapply(refs, `[[`, "counts"), labels = lapply(refs, `[[`, "labels"), seed = seed, verbose = FALSE),
      pooled = function() finetune(x = pooled$counts, labels = pooled$labels, seed = seed, verbose = FALSE))
    chosen <- strsplit(Sys.getenv("SCLM_BENCH_FITS", paste(names(fits), collapse = ",")), ",")[[1]]
    for (variant in intersect(names(fits), chosen)) {
      t0 <- proc.time()[["elapsed"]]
      model <- fits[[variant]]()
      fit_s <- proc.time()[["elapsed"]] - t0
      pred <- annotate_cells(model, query$counts, verbose = FALSE)$labels
      row(paste0("scLM_", variant), seed, sum(model$training$class_counts), pred, fit_s)
    }
  }
}
results <- do.call(rbind, rows)
out <- "bench/results/multiple_references.tsv"
results$date <- format(Sys.time(), "%Y-%m-%d %H:%M")
if (file.exists(out)) {  # appended, columns a former run lacked left empty
  before <- utils::read.delim(out, stringsAsFactors = FALSE)
  for (column in setdiff(names(results), names(before))) before[[column]] <- NA
  results <- rbind(before[, names(results)], results)
}
utils::write.table(results, out, sep = "\t", quote = FALSE, row.names = FALSE)
results <- results[results$date == max(results$date), ]
cat("\nMean over seeds:\n")
print(aggregate(cbind(macro_f1, accuracy, b_recall, fit_s) ~ task + method, results, function(v) round(mean(v), 4)), row.names = FALSE)
