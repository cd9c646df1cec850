# Builds the ready-made PBMC annotator inst/extdata/pretrained/human_pbmc_annotator.scLM that
# pretrained_model("human_pbmc_annotator") loads: annotate_cells(pretrained_model(
# "human_pbmc_annotator"), x) labels human PBMCs with no reference of one's own.
# Run from the repository root after `make install`:  Rscript data-raw/pretrained_pbmc_annotator.R
#
# Cells: every labelled human PBMC of ../shared/data: pbmc3k_10x_seurat_labels (2,638 cells, 10x
# 3' v1) and pbmc_3x10x_symphony_1767genes (1,200 cells, 10x 3' v1, 3' v2 and 5'), on the genes the
# two share (the symphony set holds 1,767 genes). Labels harmonised to the symphony names:
#   pbmc3k "Naive CD4 T", "Memory CD4 T" -> T_CD4; "CD8 T" -> T_CD8; "CD14+ Mono" -> Mono_CD14;
#   "FCGR3A+ Mono" -> Mono_CD16; "Platelet" and symphony "MK" -> MK (platelets and megakaryocytes);
#   B, NK and DC keep their names. Symphony's 3 HSC cells are too few to learn and are left out.
# Model: the package default for genes (finetune() without a config: three sctrans_config() models
# of 128/256-gene sub-vectors, balanced class weights,
# training cells down-sampled to 50-100% of their counts), seed 1.
suppressPackageStartupMessages(library(scLM))
source("bench/shared_data.R")

pbmc3k <- read_shared("pbmc3k_10x_seurat_labels")
symphony <- read_shared("pbmc_3x10x_symphony_1767genes")
stopifnot(all(pbmc3k$cell_type %in% names(pbmc3k_to_symphony)))
genes <- intersect(rownames(symphony$counts), rownames(pbmc3k$counts))
keep <- symphony$cell_type != "HSC"
counts <- cbind(pbmc3k$counts[genes, ], symphony$counts[genes, keep])
labels <- c(unname(pbmc3k_to_symphony[pbmc3k$cell_type]), symphony$cell_type[keep])

# How well such a model carries to another dataset: trained on one set, annotating the other
# (labels harmonised; macro-F1 over the types both sets have), before the final model uses both.
source("inst/scripts/standard_split.R")  # macro_f1()
sets <- list(pbmc3k = seq_len(ncol(pbmc3k$counts)), symphony = ncol(pbmc3k$counts) + seq_len(sum(keep)))
for (train in names(sets)) {
  test <- setdiff(names(sets), train)
  m <- finetune(x = counts[, sets[[train]]], labels = labels[sets[[train]]], seed = 1, verbose = FALSE)
  res <- annotate_cells(m, counts[, sets[[test]]], verbose = FALSE)
  pred <- res$labels
  pruned <- res$pruned.labels
  truth <- labels[sets[[test]]]
  shared <- truth %in% m$labels
  cat(sprintf("held-out check: trained on %s, annotating %s: macro-F1 %.3f, accuracy %.3f (%d cells), %.1f%% called Unknown\n",
              train, test, macro_f1(truth[shared], pred[shared]), mean(truth[shared] == pred[shared]), sum(shared),
              100 * mean(pruned[shared] == "Unknown")))
  # A user's object holds every gene of its set: pbmc3k's 13,714 (the cells' totals are read over
  # the model's reference genes, as the reference's were).
  whole <- list(pbmc3k = pbmc3k$counts, symphony = symphony$counts[, keep])[[test]]
  pred_whole <- annotate_cells(m, whole, verbose = FALSE)$labels
  cat(sprintf("held-out check on every gene of %s (%d): macro-F1 %.3f, accuracy %.3f\n", test, nrow(whole),
              macro_f1(truth[shared], pred_whole[shared]), mean(truth[shared] == pred_whole[shared])))
  # What it says about a type it does not know: the same, with the B cells left out of training.
  no_b <- sets[[train]][labels[sets[[train]]] != "B"]
  m <- finetune(x = counts[, no_b], labels = labels[no_b], seed = 1, verbose = FALSE)
  unknown <- annotate_cells(m, counts[, sets[[test]]], verbose = FALSE)$pruned.labels == "Unknown"
  b <- truth == "B"
  cat(sprintf("held-out check without B cells: trained on %s, annotating %s: %.1f%% of its %d B cells called Unknown, %.1f%% of the others\n",
              train, test, 100 * mean(unknown[b]), sum(b), 100 * mean(unknown[!b & shared])))
}

t0 <- proc.time()[["elapsed"]]
model <- finetune(x = counts, labels = labels, seed = 1, verbose = FALSE)
seconds <- proc.time()[["elapsed"]] - t0
model$training$datasets <- data.frame(dataset = c("pbmc3k_10x_seurat_labels", "pbmc_3x10x_symphony_1767genes"),
                                      cells = c(ncol(pbmc3k$counts), sum(keep)))
model$training$recipe <- "Rscript data-raw/pretrained_pbmc_annotator.R"

out <- file.path("inst", "extdata", "pretrained", "human_pbmc_annotator.scLM")
save_model(model, out)
print(model)
print(table(labels))
cat(sprintf("%d cells, %d genes, %d epochs, %.0f s; file %.2f MB\n", ncol(counts), length(model$features),
            nrow(model$history), seconds, file.size(out) / 2^20))
