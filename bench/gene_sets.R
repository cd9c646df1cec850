# A reference and a query that hold different genes, each with every gene of its own set, as a
# user's objects hold them, and a reference filtered of some genes against a query that kept them
# (the tasks of annotation_tasks.R keep the genes both sets share: there the two readings below
# are the same). Every default fit annotated twice: with each query cell's
# total read against the reference's genes (the package since stop 63: R/reference_totals.R) and
# with the cell's own total over every row it has (`own_totals`: the fit's reference_shares
# removed, as models saved before them read). The linear baseline normalises each set over its own
# genes and reads the query's values of the reference's variable genes (0 where it lacks one), as
# CellTypist reads a query.
# With env SCLM_GENE_SETS_FIT=query, each fit is query-side adapted (finetune(query = ): a second
# round on the query's confident cells); with =joint, fine-tuned from an encoder pretrained on the
# reference and the query together (pretrain(list(reference, query)), as annotation_levers.R's
# package_pretrain_joint). Those fits are annotated with the package's reading alone (method
# `scLM_<fit>` + env SCLM_BENCH_SUFFIX, to tell builds apart).
#   Rscript bench/gene_sets.R [task ...]
# env SCLM_BENCH_SEEDS (default 1,2,3). Appends to bench/results/gene_sets.tsv.
source("bench/annotation_common.R")

# Every gene of both sets (`relabel` as cross_task()).
whole_sets <- function(train_name, test_name, relabel = NULL) function() {
  a <- relabelled(read_shared(train_name), relabel)
  b <- relabelled(read_shared(test_name), relabel)
  n <- table(a$cell_type)
  ok_a <- a$cell_type %in% names(n)[n >= 3]
  ok_b <- b$cell_type %in% a$cell_type[ok_a]
  list(train = a$counts[, ok_a], train_labels = a$cell_type[ok_a], test = b$counts[, ok_b],
       test_labels = b$cell_type[ok_b], modality = "rna")
}
# A lever task's panel reference (760 genes) and its query cells with every gene of their set.
panel_reference <- function(name, dataset) function() {
  t <- lever_tasks[[name]]()
  whole <- read_shared(dataset)$counts
  t$test <- whole[, match(colnames(t$test), colnames(whole))]
  t
}
# A reference filtered of mitochondrial and ribosomal-protein genes, as many pipelines do, and its
# query cells as they came (pbmc3k's standard split).
filtered_reference <- function(name) function() {
  t <- annotation_tasks[[name]]()
  t$train <- t$train[!grepl("^(MT-|RPL|RPS)", rownames(t$train)), ]
  t
}
gene_set_tasks <- list(
  "pbmc3k:no_mt_ribo_reference" = filtered_reference("pbmc3k"),
  "pancreas:xin->wang" = whole_sets("pancreas_xin_subset_lognorm", "pancreas_wang_subset_lognorm"),
  "pancreas:wang->xin" = whole_sets("pancreas_wang_subset_lognorm", "pancreas_xin_subset_lognorm"),
  "cellline3:celseq2->dropseq" = whole_sets("cellline3_celseq2_tian2019", "cellline3_dropseq_tian2019"),
  "cellline3:dropseq->celseq2" = whole_sets("cellline3_dropseq_tian2019", "cellline3_celseq2_tian2019"),
  "pbmc:pbmc3k->symphony" = whole_sets("pbmc3k_10x_seurat_labels", "pbmc_3x10x_symphony_1767genes", pbmc3k_to_symphony),
  "pbmc:symphony->pbmc3k" = whole_sets("pbmc_3x10x_symphony_1767genes", "pbmc3k_10x_seurat_labels", pbmc3k_to_symphony),
  "pbmc3k:10%:panel760" = panel_reference("pbmc3k:10%:panel760", "pbmc3k_10x_seurat_labels"),
  "tabula_muris_bladder:10%:panel760" = panel_reference("tabula_muris_bladder:10%:panel760",
                                                        "tabula_muris_bladder10x_2100_unnamedgenes"),
  "worm_neuron:10%:panel760" = panel_reference("worm_neuron:10%:panel760", "worm_neuron_cao2017_unnamedgenes"))

# The linear baseline on sets of different genes: each normalised over its own genes, the query's
# rows matched to the reference's by name.
linear_own_genes <- function(task) {
  te <- lognorm(task$test)
  aligned <- Matrix::Matrix(0, nrow(task$train), ncol(te), sparse = TRUE, dimnames = list(rownames(task$train), NULL))
  shared <- intersect(rownames(task$train), rownames(te))
  aligned[shared, ] <- te[shared, ]
  # lognorm() leaves log values as they are, and reads counts otherwise: `aligned` is already log.
  linear_baseline(list(train = task$train, test = aligned, train_labels = task$train_labels, modality = "rna"))
}

wanted <- commandArgs(trailingOnly = TRUE)
if (!length(wanted)) wanted <- names(gene_set_tasks)
stopifnot(all(wanted %in% names(gene_set_tasks)))
out <- "bench/results/gene_sets.tsv"
fit_kind <- Sys.getenv("SCLM_GENE_SETS_FIT")
stopifnot(fit_kind %in% c("", "query", "joint"))
write_row <- function(r, held) {
  utils::write.table(cbind(date = format(Sys.time(), "%Y-%m-%d %H:%M"), r, reference_share_held = round(held, 3)), out,
                     sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                     col.names = !file.exists(out))
}
for (name in wanted) {
  task <- gene_set_tasks[[name]]()
  for (seed in bench_seeds()) {
    t0 <- proc.time()[["elapsed"]]
    model <- switch(fit_kind,
      query = finetune(x = task$train, labels = task$train_labels, query = task$test, seed = seed, verbose = FALSE),
      joint = {
        config <- sctrans_config(scales = scLM:::default_scales(FALSE, nrow(task$train)))
        encoder <- pretrain(list(task$train, task$test), config, seed = seed, verbose = FALSE)
        finetune(encoder, task$train, task$train_labels, seed = seed, verbose = FALSE)
      },
      default_model(task, seed))
    fit_s <- proc.time()[["elapsed"]] - t0
    held <- sum(model$reference_shares[names(model$reference_shares) %in% rownames(task$test)])
    own <- model
    own$reference_shares <- NULL
    # A query of a few hundred genes holds under min_overlap's quarter of a whole-transcriptome
    # model's vocabulary (pbmc3k -> symphony: 283 of 2,000): both readings are asked to go on.
    readings <- if (nzchar(fit_kind)) stats::setNames(list(model), paste0("scLM_", fit_kind, Sys.getenv("SCLM_BENCH_SUFFIX"))) else
      list(scLM_reference_totals = model, scLM_own_totals = own)
    for (method in names(readings)) {
      m <- readings[[method]]
      pred <- annotate_cells(m, task$test, min_overlap = 0.1, verbose = FALSE)$labels
      speed <- annotation_speed(m, task$test, min_overlap = 0.1)
      write_row(result_row(name, method, seed, ncol(task$train), task$test_labels, pred, fit_s, speed), held)
    }
  }
  if (nzchar(fit_kind)) next
  t0 <- proc.time()[["elapsed"]]
  pred <- linear_own_genes(task)
  write_row(result_row(name, "linear", NA, ncol(task$train), task$test_labels, pred, proc.time()[["elapsed"]] - t0), NA)
}
