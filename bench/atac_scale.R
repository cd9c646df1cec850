# scATAC at scale (issue 25) on ../shared/data/atac_granja2019_bmmc_d6t1 (10,335 bone-marrow cells,
# 10,000 hg19 peaks, 16 fine types), standard 80/20 split, SCTrans on peak islands
# (sctrans_config(modality = "atac")). Parts, each writing bench/results/atac_scale_<part>.tsv:
#   pretrain  pretraining pays? Masked sub-vector completion on all 10,335 cells without labels,
#             then fine-tuning on 10% of the labelled training cells (stratified, at least 2 per
#             class), from the encoder (all of it trained, or its head only) and from scratch,
#             seeds 1-3; macro-F1 / accuracy on the standard test cells and the validation
#             accuracy after the first epoch.
#   time      fine-tuning all 10,335 labelled cells with the defaults (finetune(x =, labels =)):
#             seconds, epochs, seconds per epoch; annotating all cells: cells per second.
#   novel     each of the 16 types left out of the training cells in turn (seed 1), default model;
#             per unknown_method ("energy" is annotate_cells()'s default for scATAC), with the
#             cut-off moved by the query's scores and without (unknown_shift): share of the
#             left-out type's test cells flagged, and of the other test cells. env
#             SCLM_BENCH_TYPES (comma-separated) leaves out those types only (into _novel_types.tsv).
#   novel_bound  the same types told apart WITH their labels: the default model and the linear
#             baseline trained on all 16 types; per type, its test cells' probability of the type,
#             cut where it flags 5% of the other test cells (what a novelty score would need).
#   novel_embedding <epochs>  the same left-out types scored without a classifier: distance to the
#             known-type training cells in the embedding of the contrastive encoder of
#             `pretrain <epochs> contrastive` (reused from SCLM_BENCH_DIR) and in TF-IDF + LSI.
#   disk      one epoch of pretrain() with the default scATAC model on the cells in memory, in a
#             10x HDF5 file (HDF5Array::TENxMatrix, read in blocks), and replicated to 200,000
#             cells on disk, each in a fresh R process: seconds and peak resident memory.
#             (~15 min on 2 cores, 0.6 GB of disk in tempdir() or SCLM_BENCH_DIR)
#   markers   do islands near textbook marker genes rank high in attention_scores() per type? annATAC
#             (the family whose tokens are single islands) fine-tuned on the training cells; per
#             type and marker, the best rank of an island within 5 kb of the gene (hg19, toprdata)
#             by attention, by attention relative to the other types, and by plain accessibility.
# Usage (from the repository root, after `make install`):
#   Rscript bench/atac_scale.R <pretrain [epochs [annatac | contrastive [share]]] | time | novel | novel_bound | novel_embedding epochs | disk | markers>
# `share`: the share of the labelled training cells fine-tuned on (default 0.1; 1 = all 8,269);
# env SCLM_BENCH_STARTS (default pretrained,pretrained_head,scratch) picks the fine-tuning starts.
source("bench/annotation_common.R")
args <- commandArgs(TRUE)
part <- if (length(args)) args[1] else "pretrain"
pretrain_epochs <- if (length(args) > 1) as.integer(args[2]) else 5L
d <- read_shared("atac_granja2019_bmmc_d6t1")
# `pretrain <epochs> annatac`: the same with annATAC's token model (masked island prediction + contrastive),
# written to atac_scale_pretrain_annatac.tsv; `pretrain <epochs> contrastive`: SCTrans with the
# contrastive term of pretrain() (weight 1) beside masked completion, to _contrastive.tsv.
variant <- if (part == "pretrain" && length(args) > 2) match.arg(args[3], c("annatac", "contrastive")) else ""
config <- if (variant == "annatac") annatac_config() else sctrans_config(modality = "atac")
# (plain `pretrain` keeps the masked objective alone, as its rows were measured before the
# contrastive term became the default)
pretrain_options <- switch(variant, contrastive = list(contrastive_weight = 1), annatac = list(),
                           list(contrastive_weight = 0))
share <- if (length(args) > 3) as.numeric(args[4]) else 0.1
starts <- strsplit(Sys.getenv("SCLM_BENCH_STARTS", "pretrained,pretrained_head,scratch"), ",")[[1]]
out <- sprintf("bench/results/atac_scale_%s%s.tsv", part, if (nzchar(variant)) paste0("_", variant) else "")

# 10% of the training cells per class (at least 2), drawn with `seed`.
labelled_share <- function(labels, share, seed) {
  set.seed(seed)
  sort(unlist(lapply(split(seq_along(labels), labels), function(i) i[sample.int(length(i), max(2L, round(share * length(i))))])))
}

if (part == "pretrain") {
  task <- annotation_tasks[["granja_d6t1"]]()
  # The encoder is kept in SCLM_BENCH_DIR (or tempdir()), so that fine-tuning variants can reuse it.
  encoder_file <- file.path(Sys.getenv("SCLM_BENCH_DIR", tempdir()),
                            sprintf("atac_scale_encoder_%s%d.scLM", variant, pretrain_epochs))
  if (file.exists(encoder_file)) {
    encoder <- load_model(encoder_file)
  } else {
    encoder <- do.call(pretrain, c(list(d$counts, config, epochs = pretrain_epochs, seed = 1, verbose = FALSE),
                                   pretrain_options))
    save_model(encoder, encoder_file)
  }
  pretrain_s <- encoder$training$wall_seconds
  cat(sprintf("pretrained %d epochs on %d cells in %.0f s\n", pretrain_epochs, ncol(d$counts), pretrain_s))
  rows <- list()
  for (seed in bench_seeds()) {
    cells <- labelled_share(task$train_labels, share, seed)
    # pretrained_head: the encoder kept as pretrained, only the classifier head trains.
    for (start in starts) {
      t0 <- proc.time()[["elapsed"]]
      model <- finetune(if (start == "scratch") config else encoder, task$train[, cells], task$train_labels[cells],
                        trainable_blocks = if (start == "pretrained_head") "head" else "all", seed = seed, verbose = FALSE)
      fit_s <- proc.time()[["elapsed"]] - t0
      pred <- annotate_cells(model, task$test, verbose = FALSE)$labels
      r <- data.frame(start = start, seed = seed, n_labelled = length(cells), pretrain_epochs = pretrain_epochs,
                      pretrain_s = round(pretrain_s), fit_s = round(fit_s),
                      macro_f1 = round(macro_f1(task$test_labels, pred), 4), accuracy = round(mean(pred == task$test_labels), 4),
                      epoch1_val_accuracy = round(model$history$val_accuracy[1], 4),
                      scales = if (is.null(model$config$subvectors)) "tokens" else paste(model$config$subvectors$scales, collapse = "/"),
                      n_models = length(scLM:::classifier_weights(model)))
      print(r, row.names = FALSE)
      rows[[length(rows) + 1L]] <- r
      # Each row as it is measured; runs with other pretraining epochs or shares add theirs.
      utils::write.table(r, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                         col.names = !file.exists(out))
    }
  }
  res <- do.call(rbind, rows)
  if ("scratch" %in% starts) for (tuned in intersect(c("pretrained", "pretrained_head"), starts)) {
    gain <- with(res, mean(macro_f1[start == tuned]) - mean(macro_f1[start == "scratch"]))
    cat(sprintf("pretraining gain in macro-F1 (mean of seeds), %s: %+.3f\n", tuned, gain))
  }
} else if (part == "time") {
  t0 <- proc.time()[["elapsed"]]
  model <- finetune(x = d$counts, labels = d$cell_type, seed = 1, verbose = FALSE)
  fit_s <- proc.time()[["elapsed"]] - t0
  t0 <- proc.time()[["elapsed"]]
  annotate_cells(model, d$counts, verbose = FALSE)
  annotate_s <- proc.time()[["elapsed"]] - t0
  res <- data.frame(model = class(model$config)[1], n_cells = ncol(d$counts), epochs = nrow(model$history),
                    fit_s = round(fit_s), s_per_epoch = round(mean(model$history$seconds), 1),
                    cells_per_s = round(ncol(d$counts) / annotate_s))
  print(res, row.names = FALSE)
  utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE)
} else if (part == "novel") {
  task <- annotation_tasks[["granja_d6t1"]]()
  methods <- scLM:::unknown_methods
  rows <- list()
  types <- sort(unique(task$train_labels))
  if (nzchar(Sys.getenv("SCLM_BENCH_TYPES"))) {  # written to atac_scale_novel_types.tsv
    types <- strsplit(Sys.getenv("SCLM_BENCH_TYPES"), ",")[[1]]
    out <- sub("\\.tsv$", "_types.tsv", out)
  }
  for (type in types) {
    keep <- task$train_labels != type
    t0 <- proc.time()[["elapsed"]]
    model <- finetune(x = task$train[, keep], labels = task$train_labels[keep], seed = 1, verbose = FALSE)
    fit_s <- proc.time()[["elapsed"]] - t0
    novel <- task$test_labels == type
    for (method in methods) for (shift in c(TRUE, FALSE)) {
      if (method == "max_prob" && !shift) next
      flagged <- annotate_cells(model, task$test, unknown_method = method, unknown_shift = shift,
                                verbose = FALSE)$pruned.labels == "Unknown"
      r <- data.frame(left_out = type, n_left_out_test = sum(novel), method = method, unknown_shift = shift, fit_s = round(fit_s),
                      novel_flagged = round(mean(flagged[novel]), 4), known_flagged = round(mean(flagged[!novel]), 4))
      print(r, row.names = FALSE)
      rows[[length(rows) + 1L]] <- r
    }
    utils::write.table(do.call(rbind, rows), out, sep = "\t", row.names = FALSE, quote = FALSE)
  }
  res <- do.call(rbind, rows)
  print(aggregate(cbind(novel_flagged, known_flagged) ~ method + unknown_shift, res, median))
} else if (part == "novel_bound") {
  # How far a type's cells can be told from the others' at all: with every type in the training
  # cells (the labels of the type a novelty score would have to find without them), each test
  # cell's probability of type A, cut where it flags 5% of the test cells of other types; the share
  # of A's test cells above the cut. Telling A from the rest with A's labels is easier than
  # flagging A without them, so this is what the novel-type goal's 70% at 5% asks of less.
  task <- annotation_tasks[["granja_d6t1"]]()
  t0 <- proc.time()[["elapsed"]]
  model <- finetune(x = task$train, labels = task$train_labels, seed = 1, verbose = FALSE)
  fit_s <- proc.time()[["elapsed"]] - t0
  probabilities <- list(scLM = annotate_cells(model, task$test, verbose = FALSE)$probabilities,
                        linear = linear_baseline(task, probabilities = TRUE))
  rows <- list()
  for (method in names(probabilities)) {
    p <- probabilities[[method]]
    for (type in sort(unique(task$train_labels))) {
      a <- task$test_labels == type
      cut <- stats::quantile(p[!a, type], 0.95)
      rows[[length(rows) + 1L]] <- data.frame(type = type, n_test = sum(a), method = method, fit_s = round(fit_s),
                                              recall = round(mean(p[a, type] > cut), 4),
                                              called = round(mean(colnames(p)[max.col(p, "first")][a] == type), 4))
    }
  }
  res <- do.call(rbind, rows)
  print(res, row.names = FALSE)
  utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE)
  print(aggregate(cbind(recall, called) ~ method, res, stats::median))
} else if (part == "novel_embedding") {
  # The same left-out types, scored without a classifier: the cosine distance of each test cell to
  # its 10th nearest reference cell (the known-type training cells) in the embedding of the
  # encoder pretrained without labels on all cells (`pretrain <epochs> contrastive` keeps it in
  # SCLM_BENCH_DIR), and for comparison on the training cells' TF-IDF + LSI (30 components
  # without the first); the cutoff is the 95% quantile of the same distance for 10% of the
  # known-type training cells held out of the reference (as finetune() calibrates).
  task <- annotation_tasks[["granja_d6t1"]]()
  encoder <- load_model(file.path(Sys.getenv("SCLM_BENCH_DIR", tempdir()), sprintf("atac_scale_encoder_contrastive%d.scLM", pretrain_epochs)))
  unit <- function(e) e / sqrt(rowSums(e^2))
  spaces <- list(pretrained = lapply(list(train = task$train, test = task$test), function(x) unit(embed_cells(encoder, x, verbose = FALSE))),
                 lsi = lapply(lsi(task$train, task$test, n = 30L), unit))
  tenth <- function(index, query) BiocNeighbors::queryKNN(query = query, k = 10L, BNINDEX = index)$distance[, 10]
  rows <- list()
  for (type in sort(unique(task$train_labels))) {
    set.seed(1)
    known <- which(task$train_labels != type)
    held <- known[sample.int(length(known), round(0.1 * length(known)))]
    reference <- setdiff(known, held)
    novel <- task$test_labels == type
    for (space in names(spaces)) {
      e <- spaces[[space]]
      index <- BiocNeighbors::buildIndex(e$train[reference, ], BNPARAM = BiocNeighbors::AnnoyParam())
      cutoff <- stats::quantile(tenth(index, e$train[held, ]), 0.95)
      flagged <- tenth(index, e$test) > cutoff
      r <- data.frame(left_out = type, n_left_out_test = sum(novel), space = space,
                      novel_flagged = round(mean(flagged[novel]), 4), known_flagged = round(mean(flagged[!novel]), 4))
      print(r, row.names = FALSE)
      rows[[length(rows) + 1L]] <- r
    }
  }
  res <- do.call(rbind, rows)
  utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE)
  print(aggregate(cbind(novel_flagged, known_flagged) ~ space, res, median))
} else if (part == "disk") {
  source("bench/on_disk.R")
  work <- Sys.getenv("SCLM_BENCH_DIR", file.path(tempdir(), "atac_scale"))
  dir.create(work, showWarnings = FALSE, recursive = TRUE)
  rds <- file.path(work, "d6t1.rds")
  saveRDS(d$counts, rds)
  tenx <- function(n) sprintf("x <- HDF5Array::TENxMatrix('%s', 'matrix')",
                              write_tenx(d$counts, n, file.path(work, sprintf("d6t1_%d.h5", n))))
  task <- c("encoder <- pretrain(x, sctrans_config(modality = 'atac'), epochs = 1, seed = 1, verbose = FALSE)",
            "n <- ncol(x)")
  n <- ncol(d$counts)
  res <- rbind(measure_fresh(sprintf("dgCMatrix in memory, %d cells", n), sprintf("x <- readRDS('%s')", rds), task),
               measure_fresh(sprintf("TENxMatrix on disk, %d cells", n), tenx(n), task),
               measure_fresh("TENxMatrix on disk, 200000 cells", tenx(200000L), task))
  writeLines(sprintf("# %s; %d cores; pretrain(sctrans_config(modality = 'atac')), 1 epoch; block of %d cells",
                     format(Sys.Date()), parallel::detectCores(), getOption("scLM.block_cells", 20000L)), out)
  suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
} else if (part == "markers") {
  # Gene coordinates (GRCh37 = hg19, the peaks' build) from CRAN's toprdata (Ensembl GRCh37 v40),
  # installed by `bash tools/install-deps.sh --bench` into build/bench-lib; it has no strand, so an
  # island within 5 kb of the gene body (either end) counts.
  genes <- getExportedValue(loadNamespace("toprdata", lib.loc = c("build/bench-lib", .libPaths())), "ENSGENES_37")
  task <- annotation_tasks[["granja_d6t1"]]()
  t0 <- proc.time()[["elapsed"]]
  model <- finetune(annatac_config(), task$train, task$train_labels, seed = 1, verbose = FALSE)
  fit_s <- proc.time()[["elapsed"]] - t0
  pred <- annotate_cells(model, task$test, verbose = FALSE)$labels
  cat(sprintf("annATAC fit %.0f s, macro-F1 %.3f\n", fit_s, macro_f1(task$test_labels, pred)))
  att <- attention_scores(model, task$test, group_by = task$test_labels, verbose = FALSE)
  # Each island's share of open cells per type (the plain accessibility a marker would show), with
  # the test peaks placed in the model's islands as annotate_cells() places them.
  peaks <- scLM:::peak_ranges(task$test, rownames(task$test))
  open <- scLM:::map_peaks(peaks, rownames(att), model$config$island_size, verbose = FALSE)$transform(task$test)
  open@x[] <- 1
  groups <- factor(task$test_labels, levels = colnames(att))
  membership <- Matrix::sparseMatrix(i = seq_along(groups), j = as.integer(groups), x = 1)
  open_share <- as.matrix(open %*% membership) / rep(tabulate(as.integer(groups)), each = nrow(att))
  dimnames(open_share) <- dimnames(att)
  # Scores per type: attention, attention relative to its mean over types, open share, and open share
  # minus its mean over the other types (differential accessibility).
  relative <- function(m) m - (rowSums(m) - m) / (ncol(m) - 1)
  measures <- list(attention = att, attention_specific = relative(att), open = open_share,
                   open_specific = relative(open_share))
  markers <- list("17_B" = c("MS4A1", "CD79A", "PAX5"), "16_Pre.B" = c("CD79A", "VPREB1", "DNTT"),
                  "11_CD14.Mono.1" = c("CD14", "LYZ"), "12_CD14.Mono.2" = c("CD14", "LYZ"),
                  "20_CD4.N1" = c("CD3E", "CD4"), "19_CD8.N" = c("CD3E", "CD8A"), "25_NK" = c("NCAM1", "GNLY"),
                  "01_HSC" = c("CD34"), "07_GMP" = c("MPO", "ELANE"))
  islands <- feature_ranges(model, rownames(att))
  rows <- list()
  for (type in names(markers)) for (g in markers[[type]]) {
    gene <- genes[genes$gene_symbol == g, ][1, ]
    flanked <- GenomicRanges::GRanges(gene$chrom, IRanges::IRanges(gene$gene_start - 5000, gene$gene_end + 5000))
    near <- which(IRanges::overlapsAny(islands, flanked))
    r <- data.frame(type = type, gene = g, locus = sprintf("%s:%d-%d", gene$chrom, gene$gene_start, gene$gene_end),
                    n_islands = length(near))
    # An island closed in all of the type's cells ties with every other such island at the bottom.
    r$open_share <- if (length(near)) round(max(open_share[near, type]), 4) else NA
    for (m in names(measures)) {
      rank_all <- rank(-measures[[m]][, type], ties.method = "min")
      r[[paste0(m, "_rank")]] <- if (length(near)) min(rank_all[near]) else NA
    }
    print(r, row.names = FALSE)
    rows[[length(rows) + 1L]] <- r
  }
  res <- do.call(rbind, rows)
  writeLines(sprintf("# %s; %d cores; annatac_config() fine-tuned on the D6T1 training cells (seed 1, %.0f s, macro-F1 %.3f); test cells grouped by their true type; ranks among %d islands (best island within 5 kb of the gene)",
                     format(Sys.Date()), parallel::detectCores(), fit_s, macro_f1(task$test_labels, pred), nrow(att)), out)
  suppressWarnings(utils::write.table(res, out, sep = "\t", row.names = FALSE, quote = FALSE, append = TRUE))
} else {
  stop("unknown part ", part, "; parts: pretrain, time, novel, novel_bound, novel_embedding, disk, markers")
}
