# SCTrans (sctrans_config) against scLM's token model (scBERT-style expression bins) and the
# baselines of ../shared/data (SingleR, linear), 3 seeds:
#   * pbmc3k standard 80/20 split: SCTrans and the token model, 3 seeds; the ablations (one
#     scale; no contrastive term) and the chromosome and co-expression gene orders, seed 1;
#   * symphony PBMC leave-one-batch-out (train on two 10x chemistries, test on the third), seed 1
#     (more with the argument);
#   * gene selection of the seed-1 pbmc3k SCTrans model on its test cells: share of selected
#     sub-vectors holding a Seurat-tutorial marker of the predicted type vs as many random
#     sub-vectors; accuracy when each cell keeps only its selected sub-vectors vs as many random
#     ones (the other vocabulary genes zeroed, library size kept).
#   Rscript bench/sctrans.R   (after `make install`; about 30 min on 2 cores)
suppressPackageStartupMessages(library(scLM))
source("bench/shared_data.R")
source("inst/scripts/standard_split.R")
pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
# Rscript bench/sctrans.R [symphony seeds, default 1]: pbmc3k always runs seeds 1:3.
# Rscript bench/sctrans.R selection: only the seed-1 pbmc3k SCTrans model and its gene selection.
# Rscript bench/sctrans.R symphony 2,3: only symphony, those seeds (bench/results/sctrans_symphony.tsv).
args <- commandArgs(trailingOnly = TRUE)
selection_only <- identical(args[1], "selection")
symphony_only <- identical(args[1], "symphony")
if (symphony_only) args <- args[-1]
seeds <- if (selection_only) 1L else if (symphony_only) integer(0) else 1:3
symphony_seeds <- if (length(args) && !selection_only) as.integer(strsplit(args[1], ",")[[1]]) else 1L
rows <- list()
record <- function(dataset, test, model_name, seed, model, counts, truth, seconds) {
  pred <- annotate_cells(model, counts, verbose = FALSE)$labels
  row <- data.frame(dataset = dataset, test = test, model = model_name, seed = seed,
                    macro_f1 = round(macro_f1(truth, pred), 4), accuracy = round(mean(pred == truth), 4),
                    epochs = nrow(model$history), train_seconds = round(seconds, 1))
  print(row)
  rows[[length(rows) + 1L]] <<- row
  invisible(pred)
}
fit <- function(config, counts, labels, seed) {
  t0 <- proc.time()[["elapsed"]]
  model <- finetune(config, counts, labels, seed = seed, verbose = FALSE)
  list(model = model, seconds = proc.time()[["elapsed"]] - t0)
}

configs <- list(
  sctrans = sctrans_config(),
  sctrans_one_scale = sctrans_config(scales = 32L),
  sctrans_no_contrastive = sctrans_config(contrastive_weight = 0),
  sctrans_chromosome = sctrans_config(gene_order = "chromosome", gene_positions = "human"),
  sctrans_coexpression = sctrans_config(gene_order = "coexpression"),
  tokens_scbert_bins = scLMConfig()
)
split <- stratified_split(pbmc$cell_type)
models <- list()
for (seed in seeds) {
  for (name in names(configs)) {
    if (seed > 1 && !name %in% c("sctrans", "tokens_scbert_bins")) next  # ablations and gene orders: seed 1 (time)
    if (selection_only && name != "sctrans") next
    f <- fit(configs[[name]], pbmc$counts[, split$train], pbmc$cell_type[split$train], seed)
    record("pbmc3k", "80/20", name, seed, f$model, pbmc$counts[, split$test], pbmc$cell_type[split$test], f$seconds)
    if (seed == 1 && name == "sctrans") models$sctrans <- f$model
  }
}

sym <- read_shared("pbmc_3x10x_symphony_1767genes")
for (seed in if (selection_only) integer(0) else symphony_seeds) {
  for (test_batch in c("3pv1", "3pv2", "5p")) {
    test <- which(sym$batch == test_batch)
    train <- which(sym$batch != test_batch)
    for (name in c("sctrans", "tokens_scbert_bins")) {
      config <- if (name == "sctrans") sctrans_config(n_features = 1767) else scLMConfig(n_features = 1767)
      f <- fit(config, sym$counts[, train], sym$cell_type[train], seed)
      record("symphony", test_batch, name, seed, f$model, sym$counts[, test], sym$cell_type[test], f$seconds)
    }
  }
}
res <- do.call(rbind, rows)
out <- if (selection_only) "bench/results/sctrans_selection_model.tsv" else if (symphony_only)
  "bench/results/sctrans_symphony.tsv" else "bench/results/sctrans.tsv"
writeLines(c(sprintf("# %s; %d cores; finetune() defaults (20 epochs, early stopping)", format(Sys.Date()),
                     parallel::detectCores()),
             "# baselines (../shared/data/README, same splits), macro-F1 SingleR / linear: pbmc3k 0.859 / 0.902;",
             "#   symphony test 3pv1 0.787 / 0.880, 3pv2 0.761 / 0.846, 5p 0.919 / 0.862"), out)
suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
means <- aggregate(cbind(macro_f1, accuracy, train_seconds) ~ dataset + test + model, data = res, FUN = mean)
print(means)

if (symphony_only) quit(save = "no")
# Gene selection (seed-1 pbmc3k model, its test cells).
markers <- list("Naive CD4 T" = c("IL7R", "CCR7"), "Memory CD4 T" = c("IL7R", "S100A4"), "CD14+ Mono" = c("CD14", "LYZ"),
                B = "MS4A1", "CD8 T" = "CD8A", "FCGR3A+ Mono" = c("FCGR3A", "MS4A7"), NK = c("GNLY", "NKG7"),
                DC = c("FCER1A", "CST3"), Platelet = "PPBP")
model <- models$sctrans
test_counts <- pbmc$counts[, split$test]
truth <- pbmc$cell_type[split$test]
salient <- salient_features(model, test_counts, top_n = Inf, verbose = FALSE)
mask <- attr(salient, "mask")
predicted <- annotate_cells(model, test_counts, verbose = FALSE)$labels
tokens <- scLM:::subvector_tokens(model$features, model$config$subvectors$scales)
token_genes <- strsplit(tokens$genes, ",")
has_marker <- sapply(names(markers), function(type) vapply(token_genes, function(g) any(markers[[type]] %in% g), TRUE))
selected <- mask > 0.5
set.seed(1)
marker_share <- function(pick) mean(unlist(lapply(seq_len(nrow(pick)), function(i) has_marker[pick[i, ], predicted[i]])))
random <- t(apply(selected, 1, function(s) { r <- logical(length(s)); r[sample.int(length(s), sum(s))] <- TRUE; r }))
# Keeping only some sub-vectors: the other vocabulary genes' counts move to one extra row outside
# the vocabulary, so each cell's library size (and CP10k scale) is unchanged.
keep_only <- function(pick) {
  vocab_rows <- match(model$features, rownames(test_counts))
  m <- as.matrix(test_counts[vocab_rows, ])
  for (i in seq_len(ncol(m))) {
    kept <- unique(unlist(token_genes[pick[i, ]]))
    m[!model$features %in% kept, i] <- 0
  }
  other <- Matrix::colSums(test_counts) - colSums(m)
  counts <- rbind(Matrix::Matrix(m, sparse = TRUE), other_genes = other)
  mean(annotate_cells(model, counts, min_overlap = 0, verbose = FALSE)$labels == truth)
}
selection <- data.frame(
  measure = c("sub-vectors selected per cell (mean)", "selected sub-vectors holding a marker of the predicted type",
              "random sub-vectors (as many) holding one", "accuracy, all sub-vectors",
              "accuracy, only the selected sub-vectors kept", "accuracy, as many random sub-vectors kept"),
  value = round(c(mean(rowSums(selected)), marker_share(selected), marker_share(random), mean(predicted == truth),
                  keep_only(selected), keep_only(random)), 4))
print(selection)
out_sel <- "bench/results/sctrans_selection.tsv"
writeLines(sprintf("# %s; pbmc3k 80/20, sctrans_config() seed 1, %d test cells; markers: Seurat pbmc3k tutorial",
                   format(Sys.Date()), length(truth)), out_sel)
suppressWarnings(utils::write.table(selection, out_sel, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
