#' Pretrained scLM models shipped with the package
#'
#' scLM ships small pretrained models, offline: encoders that fine-tuning can start from and a
#' ready-made PBMC annotator. `pretrained_model()` lists them; `pretrained_model(name)` loads one,
#' ready for [annotate_cells()], [finetune()] or [embed_cells()].
#'
#' `"human_pbmc_annotator"`: labels human peripheral blood mononuclear cells with no reference of
#' your own, `annotate_cells(pretrained_model("human_pbmc_annotator"), x)`. It knows eight types:
#' `B`, `T_CD4`, `T_CD8`, `NK`, `Mono_CD14`, `Mono_CD16`, `DC` and `MK` (platelets and
#' megakaryocytes). It was fine-tuned (the package default for genes: three [sctrans_config()]
#' models of 128/256-gene sub-vectors, balanced class weights, training cells down-sampled to
#' 50-100% of their counts) on every labelled human PBMC of the project's shared data: 10x pbmc3k (Seurat
#' tutorial labels) and the symphony PBMC set (10x 3' v1, 3' v2 and 5'), 3,835 cells on the genes
#' both hold; its vocabulary is the 1,342 of them detected in 3 or more cells (gene symbols).
#' pbmc3k's labels were mapped onto symphony's: naive and memory CD4 T to `T_CD4`, CD8 T to
#' `T_CD8`, CD14+ Mono to `Mono_CD14`, FCGR3A+ Mono to `Mono_CD16`, Platelet to `MK`. It cannot
#' name other cells (progenitors, plasma cells, erythrocytes, non-blood cells): each gets one of
#' its types in `labels`, so read `pruned.labels`: the default `unknown_method = "knn"` calls
#' `"Unknown"` the cells that lie far from its reference cells. Measured across labs with the same
#' recipe and B cells left out of training (seed 1): trained on pbmc3k, it called 100% of
#' symphony's 172 B cells `"Unknown"` and 3.4% of its other cells; trained on symphony, 100% of
#' pbmc3k's 344 B cells and 5.5% of the others. How such a model carries to data it has not seen: trained on
#' pbmc3k alone it labelled the symphony cells with macro-F1 0.856 (accuracy 0.890; 3.8% of them
#' called `"Unknown"`), trained on the symphony cells alone it labelled pbmc3k with 0.896 (0.899;
#' 6.3% `"Unknown"`; seed 1), the same given pbmc3k with all 13,714 of its genes. It keeps its
#' reference's gene levels, so `annotate_cells()` matches a query's levels to them (`match_levels`,
#' on by default), and each gene's share of a cell's counts: a query's cells, which hold many more
#' genes, are read against their totals over its 1,342 genes, as its training cells were.
#' Recipe: `data-raw/pretrained_pbmc_annotator.R` in the source repository.
#'
#' `"human_rna_small"`: an encoder of the token model, [scLMConfig()] defaults (dim 32, 2 layers, 4 heads, top-256 genes per
#' cell, expression bins) pretrained by [pretrain()] (masked + contrastive objective, 15 epochs,
#' seed 1) on all 5,013 cells of the four human scRNA-seq sets of the project's shared data whose
#' genes are named by symbol (10x pbmc3k, symphony PBMC in three 10x chemistries, Xin and Wang
#' pancreas; labels unused). Vocabulary: the union of each set's 2,000 most variable genes.
#' Recipe: `data-raw/pretrained_human_rna.R` in the source
#' repository; its vocabulary is also in
#' `system.file("extdata", "pretrained", "human_rna_small.features.txt", package = "scLM")`.
#'
#' `"human_rna_sctrans"`: the same cells and vocabulary rule pretrained as the default model
#' for genes, [sctrans_config()] (128/256-gene sub-vectors in co-expression order, dim 64; 75% of
#' sub-vectors masked + contrastive term, 30 epochs, seed 1; 4,047 genes). Start from it when the
#' reference is small: pretrained the same way on the other three sets only and fine-tuned with the
#' defaults (three models), it labelled pbmc3k's test cells from a 213-cell reference with
#' macro-F1 0.915 against 0.892 from scratch (spread over seeds 0.010 against 0.017), but the
#' symphony batches (about 900 reference cells) with 0.926 / 0.894 / 0.975 against 0.934 /
#' 0.945 / 0.984 (3' v1 / 3' v2 / 5'; seeds 1-3, `bench/encoder_transfer.R`, 2026-12-07): today's
#' defaults from scratch are better there; from the 2,111-cell pbmc3k reference it lost too
#' (0.926 vs 0.944, an earlier run). A fine-tuned
#' model reads only the encoder's genes, so the reference's genes outside them are lost (blood and
#' pancreas genes: for other tissues train from scratch); a gene panel that holds some of them
#' works (see [finetune()]).
#'
#' @param name `NULL` to list the models, or the name of one.
#' @return With `name`, an `scLM_model` (a pretrained encoder); without, a data frame with
#'   one row per model: name, modality, features, cells it was pretrained on, parameters and
#'   file size.
#' @seealso [pretrain()], [finetune()]
#' @examples
#' pretrained_model()
#' encoder <- pretrained_model("human_rna_sctrans")
#' encoder
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' annotator <- pretrained_model("human_pbmc_annotator")
#' res <- annotate_cells(annotator, pbmc$counts[, 1:200], verbose = FALSE)
#' table(res$labels)
#' @export
pretrained_model <- function(name = NULL) {
  files <- pretrained_files()
  if (is.null(name)) {
    rows <- lapply(names(files), function(n) {
      m <- load_model(files[[n]])
      data.frame(name = n, modality = m$modality, features = length(m$features), cells = m$training$n_cells,
                 parameters = m$training$n_parameters, megabytes = round(file.size(files[[n]]) / 2^20, 2))
    })
    return(do.call(rbind, rows))
  }
  check_string(name, "name")
  if (!name %in% names(files)) {
    cli::cli_abort(c("There is no pretrained model {.val {name}}.",
                     "i" = "Available: {.val {names(files)}} (see {.code pretrained_model()})."))
  }
  load_model(files[[name]])
}

pretrained_files <- function() {
  dir <- system.file("extdata", "pretrained", package = "scLM")
  files <- list.files(dir, pattern = "\\.scLM$", full.names = TRUE)
  stats::setNames(files, sub("\\.scLM$", "", basename(files)))
}
