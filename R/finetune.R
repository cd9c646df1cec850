#' Train a cell-type classifier on labeled reference cells
#'
#' Fits a scLM model to labeled cells: the vocabulary (genes) is chosen from `x` unless the
#' config names it, cells are tokenized in C++ straight from the sparse counts, and the
#' transformer is trained with AdamW (linear warm-up, cosine decay, gradient clipping) on a
#' stratified split, keeping the weights of the epoch with the lowest validation loss and
#' stopping early when it stops improving. The best epoch is chosen from the first quarter of the
#' epochs on (epoch 5 of 20), and early stopping waits for it: on a small reference the few
#' validation cells can favour a model that has barely trained (a 136-cell reference kept
#' epoch 1). Press Ctrl-C to stop training: the model with the
#' best weights so far is returned within a second or two, with a warning, and without the
#' calibration of `unknown_method`s other than `"max_prob"`; before the first epoch has ended
#' there is no model, and the interrupt is an error that says so.
#'
#' @param model_or_config `NULL` (the default model of the data's modality: [sctrans_config()]
#'   for genes; for scATAC peaks [annatac_config()] on references of fewer than 2,000 cells and
#'   `sctrans_config(modality = "atac")` on larger ones), an [scLMConfig()] (train from scratch) or an
#'   `scLM_model`: a model from [pretrain()] (or a trained classifier) whose settings, vocabulary
#'   and encoder weights fine-tuning starts from; the classifier head is new. A reference may
#'   hold only some of a pretrained model's genes (a targeted panel: at least 100 of them, or all
#'   of a smaller vocabulary's 25%): the others are absent from every cell, and the fine-tuned
#'   model checks a query's overlap (`min_overlap` of [annotate_cells()]) against the
#'   reference's genes. SCTrans is the
#'   default for genes because it beat every setting of the token model ([scLMConfig()]) by
#'   0.05-0.18 macro-F1 on the symphony PBMC cross-batch tasks (`bench/annotation_levers.R`).
#'   For peaks, annATAC's token model was the more accurate on 480 bone-marrow cells (macro-F1
#'   0.793 vs 0.756, seeds 1-3), SCTrans on islands on 8,269 (0.621 vs 0.587, seed 1), where it
#'   also trained 2.9 times faster (261 s vs 769 s) and annotated 3 times faster.
#'   `bench/annotation_tasks.R` measures the defaults on every task (see the README).
#' @param x Reference cells: a Seurat object, a SingleCellExperiment (or other
#'   SummarizedExperiment), or a genes x cells matrix of raw counts (dgCMatrix, dense, or an
#'   on-disk DelayedArray such as `HDF5Array::TENxMatrix()`) with gene names as rownames.
#'   On-disk cells are read in blocks (`options(scLM.block_cells = 20000)`) and only what the
#'   model reads is kept (tokens; sparse expression levels for SCTrans models); scATAC peaks
#'   become peak islands block by block.
#'   For scATAC models (`modality = "atac"`): a Signac object, or any of these with peaks as rows
#'   (named `chr-start-end` or `chr:start-end`).
#'   Log-normalised values (Seurat's `layer = "data"`, SCE `assay = "logcounts"`, log1p of
#'   counts per 10,000 or per million, log2 with size factors) are recognised from their
#'   per-cell totals and undone (`expm1`) to the per-cell normalised values the tokenizers use,
#'   with a message; scaled data, residuals and other negative values are refused.
#'
#'   Several references: a list of any of these (`list(lab_a = seu, lab_b = sce)`), with `labels`
#'   a list of one entry per reference (or one column name they all have). One model learns
#'   from all their cells; its classes are the union of theirs, so a reference may hold only
#'   some types. It reads the genes all references of genes hold, as SingleR compares references
#'   on their common genes: each reference is read as if cut to them, each cell at its total over
#'   them (the model is the one the cut references give, bit for bit), so that no type is told
#'   apart by genes only its own reference measured; a query's other genes are left out as
#'   well (a message says how many genes the model reads). scATAC references keep their peaks,
#'   placed on the model's islands. The gene levels ([annotate_cells()]'s `match_levels`) and the
#'   unknown-type calibration come from all the references' cells, and
#'   `model$training$references` lists them. Measured on human PBMC (`bench/multiple_references.R`,
#'   seeds 1-3): a symphony reference without B cells, completed by pbmc3k's, called every query B
#'   cell B and rose from macro-F1 0.68-0.80 to 0.89-0.96 (SingleR given both references
#'   0.75-0.87); a reference that held every type lost 0.035-0.043 when another lab's cells joined
#'   it. Add a reference for the types yours lacks.
#' @param labels One label per cell, or the name of a `colData` / `meta.data` column of `x`.
#'   The model's classes are a factor's levels in their order, otherwise the labels sorted by
#'   their bytes (as in the C locale), so a seed gives the same model in every locale. For
#'   several references, a list with one such entry per reference.
#' @param assay,layer Where the counts are: for Seurat, the assay (default: the default assay)
#'   and layer (default `"counts"`; with Seurat 5 layers split by batch, `counts.<batch>`, the
#'   split layers are read together in the object's cell order, as `JoinLayers()` would, without
#'   changing the object); for SummarizedExperiment, the assay (default `"counts"`). The same for
#'   every dataset of a list.
#' @param epochs Maximum number of passes over the training cells. `NULL`: 20, or fewer on a
#'   reference of more than 3,500 cells, so that training sees about 70,000 cells in all (7
#'   epochs for 10,000 cells; at least 5); more on a reference of fewer than 500 cells, so that
#'   training sees at least 10,000 cells, about 300 steps (47 epochs for 213 cells; at most 60).
#'   On eight small references (170-334 cells, `bench/annotation_levers.R`, seeds 1-6) that
#'   floor raised macro-F1 by 0.009 in the mean, most where classes have 2-10 cells.
#' @param batch_size Cells per training step.
#' @param learning_rate Peak AdamW learning rate.
#' @param weight_decay AdamW weight decay.
#' @param validation_fraction Share of cells (per class) held out to pick the best epoch and
#'   stop early; 0 trains on all cells for `epochs` epochs. A class of fewer than 10 cells
#'   holds none out: all its cells train (a 4-cell class would lose a quarter of them, and
#'   one held-out cell says little about the epoch).
#' @param patience Epochs without validation improvement before stopping.
#' @param label_smoothing Label smoothing of the cross-entropy loss (keeps probabilities
#'   calibrated on small references).
#' @param token_dropout Share of each cell's gene tokens left out at random in every training
#'   step (augmentation that mimics dropout of lowly expressed genes). Default 0.5; for
#'   [sctrans_config()] models, whose input holds every vocabulary gene, it is the share of genes
#'   set to zero, default 0.1 (0.3 for peak islands).
#' @param gene_scale_noise Augmentation that mimics another platform's gene capture: in every
#'   training step each gene's normalised expression is multiplied by a factor
#'   `exp(N(0, gene_scale_noise^2))` shared by the step's cells. 0 (the default) turns it off.
#'   [sctrans_config()] models only. With 0.5, a 3' reference annotated a 5' query better
#'   (symphony PBMC, macro-F1 0.941 vs 0.919) but an older 3' chemistry worse (0.854 vs 0.890;
#'   `bench/README.md`, "Levers of stop 31"); with the co-expression gene order (the default
#'   since) 0.939 vs 0.936 (5') and 0.898 vs 0.907 (3'v1): little gain left (stop 33); on the
#'   default of three 128/256 models 0.951 vs 0.949 (5'), 0.939 vs 0.936 (3'v1), 0.890 (3'v2,
#'   equal; stop 41). Since [annotate_cells()] matches the query's gene levels (stop 53), it
#'   loses on all three: 0.979 vs 0.981 (5'), 0.914 vs 0.937 (3'v1), 0.887 vs 0.901 (3'v2;
#'   seeds 1-3, stop 54).
#' @param downsample Augmentation that mimics another run's sequencing depth and capture: in every
#'   training step each cell's counts are binomially down-sampled to a share drawn log-uniformly
#'   between `1 - downsample` and 1 (with 0.5, a cell keeps between half and all of its counts),
#'   and normalised again. `NULL` (the default) takes the model family's: 0.5 for
#'   [sctrans_config()] models of genes (the default model); 0 (off) for peak islands and for
#'   token models, which take only 0. Cells whose values are not whole counts (log-normalised
#'   input, undone) are left as they are, so a reference given as counts and the same reference
#'   given log-normalised train different models. Measured on the defaults (seeds 1-3;
#'   `bench/README.md`, "Stop 49"), 0.5 against 0: a reference of two symphony PBMC 10x batches
#'   annotated the third at macro-F1 0.934 / 0.904 / 0.951 (3'v1 / 3'v2 / 5'; 0.910 / 0.826 /
#'   0.933), all of pbmc3k annotated symphony at 0.859 (0.846), and queries from the reference's
#'   own run stayed within 0.003 (pbmc3k 0.934 vs 0.936, mouse bladder 0.913 vs 0.914); 0.8 gained
#'   as much across chemistries but cost up to 0.033 within a run. 0 trains on the cells' depths
#'   as they are. A model trained with it reads each query cell at the average of what its
#'   thinned copies would give (see [annotate_cells()]).
#' @param mixup Augmentation that blends cells: in every training step each cell's values are
#'   mixed with another cell's of the step, by a share drawn from `Beta(mixup, mixup)` (the larger
#'   share kept for the cell's own label), and the loss mixes their two labels alike. One number,
#'   or one per model of the ensemble (recycled; `c(0, 0, 1)` trains the third of three models
#'   with it). 0 (the default) turns it off; [sctrans_config()] models only. Measured on the
#'   default model (seeds 1-3; `bench/README.md`, "Stop 55"), macro-F1 against the defaults:
#'   0.4 in every model won across platforms (pancreas Wang -> Xin 0.995 vs 0.990, cell lines
#'   CEL-seq2 -> Drop-seq 0.970 vs 0.963, symphony 3' v2 0.912 vs 0.901) and lost within a run
#'   (pbmc3k 0.923 vs 0.937, its 10% reference 0.892 vs 0.897, Xin -> Wang 0.994 vs 1.000); 1
#'   lost more on pbmc3k (0.913). `c(0, 0, 1)` kept pbmc3k (0.937) and gave Wang -> Xin 0.994
#'   (0.992 vs 0.988 over seeds 1-6), but lost 0.008 on the 10% reference (0.005 over seeds 1-6):
#'   no gain over the tasks as a whole, so it is not the default. Try it when reference and
#'   query come from different platforms.
#' @param length_bucketing Group cells with similar numbers of gene tokens into the same
#'   training batch (windows of 50 batches sorted by length, batch order shuffled), so batches
#'   carry less padding. Token models only; SCTrans inputs have a fixed length. On pbmc3k
#'   (`bench/pbmc3k_seeds.R`, 3 seeds) it trained 1.3x faster, but cells of one type have
#'   similar lengths, so batches mix fewer types: accuracy fell by 0.001-0.009 there and by up to
#'   0.09 on a 430-cell reference. Off by default; turn it on for large references.
#' @param class_weights `NULL` (the model family's default: `"balanced"` for gene models,
#'   `"none"` for scATAC models), `"none"` or `"balanced"`: classes weighted in the loss by the
#'   square root of their inverse frequency (normalised to mean 1), so that rare types are called
#'   (on cross-batch references with 5-cell classes it raised macro-F1 by 0.03-0.08,
#'   `bench/annotation_levers.R`). Full inverse frequency gave a 3-cell class 30 times the weight
#'   of a common one, which made training collapse on the symphony PBMC reference
#'   (`bench/cross_batch.R`). `"annatac"`: annATAC's weights `(1 - n_c / N)^2` for a class of
#'   `n_c` of the `N` cells.
#' @param class_sampling `NULL` (the model family's default: 0.5 for [sctrans_config()] models of
#'   genes, 0 otherwise) or a number from 0 (each training cell once per epoch) to 1 (every class
#'   drawn alike): class-balanced sampling. Each epoch draws as many cells as the reference holds,
#'   a class of `n` cells in proportion to `n^(1 - class_sampling)`, its cells in whole passes plus
#'   a random part of one more. It acts beside `class_weights`: 0.5 with the `"balanced"` weights
#'   gives every class the same weight in an epoch. Measured against 0 on the 16 RNA tasks of
#'   `bench/annotation_levers.R` (seeds 1-6 on 12 of them; `bench/README.md`, "Stop 60"): +0.008
#'   macro-F1 over 84 task-seed pairs (45 higher, 28 lower), symphony PBMC's 3' v2 chemistry
#'   0.934 vs 0.897 (higher on each of six seeds), 3' v1 0.925 vs 0.910, a 10% bladder
#'   reference on 760 genes 0.652 vs 0.589; it lost within pbmc3k (0.925 vs 0.934, seeds 1-3), on
#'   the 10% bladder reference (0.669 vs 0.680) and from all of symphony PBMC to all of pbmc3k
#'   (0.878 vs 0.896; the reverse 0.867 vs 0.861): symphony's 7 megakaryocytes, weighing as much
#'   as its 373 CD4 T cells, made the model call 8-10 of pbmc3k's monocytes MK. Pass 0 when a
#'   reference's rare classes are better left rare. 0.25 won both cross-lab tasks (0.904, 0.871)
#'   but lost elsewhere (17 tasks: 0.8953 vs 0.9001; "Stop 61"); 0.5 without the weights (the
#'   balanced loss's weight moved into the draws) lost (-0.014 on 12 tasks, seeds 1-3).
#' @param n_models Train an ensemble of this many models (seeds `seed`, `seed + 1`, ...; each is
#'   the model `finetune()` trains with its seed, on the same vocabulary), whose logits
#'   [annotate_cells()] averages: it costs `n_models` times the training and the annotation. With
#'   3, macro-F1 rose on every task of `bench/annotation_tasks.R` (mean of the 12 RNA tasks 0.947
#'   vs 0.938 for its single models; 16 fine scATAC types 0.635 vs 0.606; `bench/README.md`,
#'   "Levers of stop 37"), most where single models disagree on rare types (a 213-cell reference
#'   0.851 vs 0.825). Default 3 for SCTrans (genes and peak islands), whose default coarse
#'   sub-vectors train about three times faster than finer ones (128/256 genes: mean of the 12
#'   RNA tasks 0.949 vs one 32/64 model's 0.937, 2,111 pbmc3k cells in 83-101 s; 512/1024
#'   islands, 16 fine types: 0.648 in 202-217 s on 8,269 cells vs one 128/256 model's 0.623 in
#'   230-261 s), and 1 for the other families or with `checkpoint` or `distributed`. On the CPU
#'   with two or more `num_threads`, the models train side by side, each on `num_threads %/%
#'   min(n_models, num_threads)` threads (the models are too small to use many cores each), and
#'   each is the model `finetune(n_models = 1, seed = <its seed>)` trains on that many threads
#'   (`bench/ensemble_threads.R`: pbmc3k's 2,111 cells in 71 s on 2 cores against 82-94 s one
#'   after another). So the default ensemble's models are the same on 1 to 5 threads.
#'   [embed_cells()], [attention_scores()] and
#'   [salient_features()] read the first model; the training history is the first model's. The
#'   model-based unknown scores (`"energy"`, `"mahalanobis"`) are the first model's, calibrated on
#'   its held-out cells (the other models trained on them: the ensemble's own energy flagged 11-13%
#'   of known scATAC cells instead of 5%); the labels and probabilities are the ensemble's.
#' @param trainable_blocks For a pretrained `model_or_config`: `"all"` (everything trains),
#'   `"head"` (only the classifier head; the encoder stays as pretrained) or a number n (the
#'   top n transformer blocks and the head, as scBERT fine-tunes its last block).
#' @param head `NULL` (the config's head) or `"mlp"` / `"cnn"` to choose the classifier head
#'   (see [scLMConfig()]).
#' @param checkpoint Optional file to write the training state to after every epoch.
#' @param resume Continue from `checkpoint` if it exists.
#' @param ood_quantile Calibration of [annotate_cells()]'s `unknown_method`s: a query cell is
#'   called unknown when its score exceeds this quantile of the scores of the held-out
#'   reference cells (0.95: about 5% of cells of known types are flagged). Needs
#'   `validation_fraction > 0`.
#' @param seed Random seed; the same seed and `num_threads` give the same model on the CPU.
#' @param num_threads CPU threads for LibTorch (default: all cores).
#' @param device `"auto"` (CUDA when available), `"cpu"` or `"cuda"`.
#' @param precision `"fp32"` (default) or `"bf16"`: mixed precision, for GPUs. Forward passes run
#'   under autocast: matrix products, attention, and the residual stream between transformer blocks
#'   with its layer norms (float32 statistics inside each norm, as Megatron-LM does) in bfloat16,
#'   while weights, optimiser state, the output norm, softmax and losses stay float32, so the model
#'   saved is the same kind either way. On an H100, bf16 made a dim-512, 8-layer training step 6.6x
#'   faster than fp32 (`bench/gpu.sh`). On CPUs without native bfloat16 it is much slower than fp32.
#' @param distributed Data-parallel training over several processes: [distributed_config()]
#'   (by default read from `RANK` / `WORLD_SIZE` / `MASTER_ADDR` / `MASTER_PORT`; one process
#'   when they are unset). Without class weights the processes train exactly the model one process
#'   trains; with them (the default for gene models) each process normalises its loss by its own
#'   share of the batch's weights, so the result is close to, not equal to, one process's.
#' @param query Optional cells to be annotated later (any host `x` can be, read with the same
#'   `assay` / `layer`): query-side adaptation. After fine-tuning on `x`, the model labels the
#'   query; a second round starts from its encoder and trains on the reference plus the query
#'   cells labelled with probability at least `query_confidence` (self-training, as Cellcano
#'   does for scATAC), with the same settings and seed, and that model is returned
#'   (`model$training$query_cells` says how many query cells it used). It costs a second
#'   training run. Measured on the defaults (`bench/annotation_levers.R` `sct_query07`, seeds
#'   1-3, mean macro-F1 with and without it, both annotated with [annotate_cells()]'s defaults):
#'   it helps where reference and query come from other labs or platforms and their classes are
#'   large (pancreas Wang -> Xin 0.994 vs 0.990; cell lines CEL-seq2 -> Drop-seq 0.974 vs 0.963,
#'   Drop-seq -> CEL-seq2 0.999 vs 0.996; symphony PBMC 3' batches -> 3'v2 0.929 vs 0.901), and
#'   it can lose a class of a few query cells (symphony -> 3'v1 0.908 vs 0.937, one of three
#'   megakaryocytes on one seed; -> 5' 0.942 vs 0.981).
#'   The second round reads the query's cells against the reference's genes, as
#'   [annotate_cells()] reads a query. The unknown-type scores stay calibrated on the
#'   reference's own cells; `checkpoint` covers the first round. A query the first model cannot
#'   read (too few of its genes: `min_overlap` of [annotate_cells()]) leaves it unadapted, with a
#'   warning.
#' @param query_confidence The least probability with which a query cell must be labelled to
#'   join the second round (with the default label smoothing, about 0.91 is the most a model
#'   gives).
#' @param verbose Show progress and a per-epoch summary.
#' @return An `scLM_model`: weights, vocabulary, labels, settings, training history and versions;
#'   a model of genes also keeps its reference's gene levels per class and each reference gene's
#'   mean share of a cell's counts, which [annotate_cells()] reads (`match_levels`, and a query's
#'   totals when its genes differ from the reference's).
#' @seealso [annotate_cells()], [save_model()]
#' @examples
#' pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
#' cells <- seq(1, ncol(pbmc$counts), by = 6)
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   pbmc$counts[, cells], labels = pbmc$cell_type[cells],
#'                   epochs = 2, verbose = FALSE)
#' model
#'
#' # Two references, the second measured on half of the genes and without B cells
#' a <- seq(1, ncol(pbmc$counts), by = 12)
#' b <- a + 6
#' b <- b[pbmc$cell_type[b] != "B"]
#' panel <- rownames(pbmc$counts)[seq(1, nrow(pbmc$counts), by = 2)]
#' model <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64),
#'                   list(lab_a = pbmc$counts[, a], lab_b = pbmc$counts[panel, b]),
#'                   labels = list(pbmc$cell_type[a], pbmc$cell_type[b]), epochs = 2, verbose = FALSE)
#' model$training$references
#' @export
finetune <- function(model_or_config = NULL, x, labels, assay = NULL, layer = NULL, epochs = NULL,
                     batch_size = 32L, learning_rate = 1e-3, weight_decay = 0.05,
                     validation_fraction = 0.1, patience = 8L, label_smoothing = 0.1, token_dropout = NULL,
                     gene_scale_noise = 0, downsample = NULL, mixup = 0, length_bucketing = FALSE,
                     class_weights = NULL, class_sampling = NULL, n_models = NULL, trainable_blocks = "all",
                     head = NULL, checkpoint = NULL, resume = FALSE, ood_quantile = 0.95,
                     seed = 1L, num_threads = default_threads(), device = "auto", precision = "fp32",
                     distributed = distributed_config(), query = NULL, query_confidence = 0.7,
                     verbose = TRUE) {
  started <- proc.time()[["elapsed"]]
  if (!is.null(model_or_config) && !inherits(model_or_config, c("scLM_model", "scLM_config"))) {
    cli::cli_abort(c("{.arg model_or_config} must be NULL (the default model), an {.fn scLMConfig} or an {.cls scLM_model}.",
                     "i" = "Start with {.code finetune(x = x, labels = labels)}."))
  }
  inputs <- dataset_sources(x, assay, layer)
  sources <- inputs$sources
  n_cells <- sum(cell_counts(sources))
  config <- model_or_config %||% default_config(sources[[1]]$features, n_cells)
  init_encoder <- NULL
  if (inherits(config, "scLM_model")) {
    init_encoder <- config$encoder_weights
    config <- config$config
  }
  if (!is.null(head)) {
    config$head <- check_choice(head, c("mlp", "cnn"), "head")
  }
  train <- train_settings(epochs %||% default_epochs(n_cells), batch_size, learning_rate, weight_decay,
                          validation_fraction, patience, seed, num_threads, device, checkpoint, resume, distributed,
                          length_bucketing, precision)
  train$label_smoothing <- check_number(label_smoothing, 0, 0.5, "label_smoothing")
  train$token_dropout <- check_number(token_dropout %||% family_defaults(config)$token_dropout, 0, 0.9, "token_dropout")
  train$trainable_blocks <- check_trainable_blocks(trainable_blocks, config$n_layers, is.null(init_encoder))
  train$gene_scale_noise <- check_number(gene_scale_noise, 0, 2, "gene_scale_noise")
  train$downsample <- check_number(downsample %||% family_defaults(config)$downsample, 0, 0.95, "downsample")
  train$mixup <- check_number(mixup, 0, 2, "mixup", several = TRUE)
  for (arg in c("gene_scale_noise", "downsample", "mixup")) {
    if (any(train[[arg]] > 0) && !inherits(config, "scLM_sctrans_config")) {
      cli::cli_abort(c("{.arg {arg}} applies to {.fn sctrans_config} models.",
                       "i" = "Leave it at 0 for this model, or fine-tune an {.fn sctrans_config} model."))
    }
  }
  train$init_encoder <- init_encoder
  class_weights <- check_choice(class_weights %||% family_defaults(config)$class_weights, c("none", "balanced", "annatac"),
                                "class_weights")
  train$class_sampling <- check_number(class_sampling %||% family_defaults(config)$class_sampling, 0, 1, "class_sampling")
  single <- !is.null(checkpoint) || train$distributed$world_size > 1L
  n_models <- check_count(n_models %||% if (single) 1L else family_defaults(config)$n_models, 1L, 10L, "n_models")
  if (n_models > 1L && single) {
    cli::cli_abort(c("{.arg n_models} > 1 trains one model after another in this process: it takes no {.arg checkpoint} and no {.arg distributed} training.",
                     "i" = "Leave {.code n_models = 1}, or drop {.arg checkpoint} / {.arg distributed}."))
  }
  check_number(ood_quantile, 0.5, 1, "ood_quantile")
  check_flag(verbose, "verbose")
  check_number(query_confidence, 0.5, 1, "query_confidence")

  labels <- resolve_reference_labels(labels, inputs$datasets, sources, inputs$listed)
  held <- vapply(sources, function(s) length(s$features), integer(1))
  genes <- reference_genes(sources, verbose)
  if (!is.null(genes)) sources <- lapply(sources, gene_subset, genes)
  if (!is.null(query)) cell_source(query, assay, layer, arg = "query")  # checked now, not after training

  model <- fit_classifier(config, sources, inputs$datasets, labels, train, class_weights, n_models, ood_quantile,
                          trainable_blocks, assay, started, verbose)
  if (!is.null(query) && !isTRUE(model$training$interrupted)) {
    model <- adapt_to_query(model, sources, inputs$datasets, labels, query, query_confidence, assay, layer, train,
                            !is.null(epochs), class_weights, n_models, ood_quantile, trainable_blocks, started, verbose)
  }
  if (length(sources) > 1L) {
    name <- names(inputs$datasets) %||% character(length(sources))
    model$training$references <- data.frame(reference = ifelse(nzchar(name), name, sprintf("x[[%d]]", seq_along(sources))),
                                            cells = as.integer(cell_counts(sources)),
                                            genes = held)
  }
  model
}

# The genes a model of several references reads: those every reference holds, as SingleR compares
# references on their common genes, so that no class is told apart by genes only its own
# reference measured. finetune() reads each reference cut to them (gene_subset()), each cell at
# its total over them, and a query is read so too (its other genes are outside the model's gene
# shares). NULL for one reference, references of the same genes, and scATAC peaks (each
# reference's peaks are placed on the model's islands).
reference_genes <- function(sources, verbose, call = parent.frame()) {
  if (length(sources) == 1L) return(NULL)
  peaks <- vapply(sources, function(s) are_peaks(s$features), logical(1))
  if (any(peaks) && !all(peaks)) {
    first <- sprintf("x[[%d]]", c(which(peaks)[1], which(!peaks)[1]))
    cli::cli_abort(c("The references of {.arg x} mix scATAC peaks ({.arg {first[1]}}) and genes ({.arg {first[2]}}).",
                     "i" = "Fine-tune one model per modality."), call = call)
  }
  if (all(peaks)) return(NULL)
  features <- lapply(sources, `[[`, "features")
  genes <- Reduce(intersect, features)
  if (all(lengths(features) == length(genes))) return(NULL)
  if (length(genes) < panel_min_genes) {
    cli::cli_abort(c("The references of {.arg x} share {length(genes)} gene{?s} (they hold {lengths(features)}); a model of several references needs {panel_min_genes} or more.",
                     "i" = "Check that they name genes alike (all symbols or all Ensembl ids)."), call = call)
  }
  if (verbose) {
    cli::cli_inform("The model reads the {length(genes)} genes all {length(sources)} references hold (they hold {lengths(features)}).")
  }
  genes
}

# One round of fine-tuning of `n_models` models on the cells of `sources` (the first `references`
# are the references; after them, a query's cells; `datasets` are their hosts) labelled `labels`
# (a factor over all their cells). The gene shares, the unknown-type scores and the gene levels
# are the references' only. `started`: when finetune() was called (the wall time reported).
fit_classifier <- function(config, sources, datasets, labels, train, class_weights, n_models, ood_quantile,
                           trainable_blocks, assay, started, verbose, references = length(sources)) {
  vocabulary <- fit_vocabulary(config, sources, datasets, assay, train$seed, verbose, check = TRUE, labels = labels)
  config <- vocabulary$config
  sources <- vocabulary$sources
  maps <- vocabulary$maps
  train <- with_positions(train, config, sources, maps, from_scratch = is.null(train$init_encoder))
  if (config$tokenizer == "rank" && is.null(config$gene_scale)) {
    config$gene_scale <- gene_scale(sources, maps, config)
  }
  codes <- as.integer(labels) - 1L
  n_per_class <- tabulate(codes + 1L, nlevels(labels))
  train$class_weights <- if (class_weights == "none") numeric(0) else class_weight_values(class_weights, n_per_class)

  # every source read against the references' genes (their gene shares), as annotate_cells() reads
  refs <- seq_len(references)
  n_reference <- sum(cell_counts(sources[refs]))
  shares <- model_shares(config, sources[refs])
  totals <- training_totals(sources, maps, shares)
  store <- store_cells(sources, maps, config, totals)
  fits <- train_members(store, config, codes, nlevels(labels), train, n_models, verbose)
  fit <- fits[[1]]
  interrupted <- any(vapply(fits, `[[`, logical(1), "interrupted")) || length(fits) < n_models
  validation <- fit$validation_cells[fit$validation_cells <= n_reference]
  unknown <- NULL
  if (length(validation) && !interrupted) {
    # One more pass over the reference calibrates the unknown-cell scores on its held-out cells:
    # the first model's, scored by that model (every model of an ensemble holds out the cells of
    # its own seed, and they gain by it: bench/README.md, "Levers of stop 42").
    run <- run_settings(256L, train$num_threads, train$device, train$precision)
    verb <- environment()
    members <- lapply(fits, `[[`, "weights")
    seen <- do.call(rbind_fields, lapply(refs, function(k) source_blocks(sources[[k]], function(counts) {
      input <- averaged_input(training_block(counts, maps[[k]], totals[[k]]), train$downsample, config)
      engine_classify_members(members, config, nlevels(labels), input$counts, input$index, run, TRUE, call = verb)
    }, combine = rbind_fields)))
    unknown <- calibrate_unknown(seen$first_logits, seen$embeddings, codes[seq_len(n_reference)], validation, ood_quantile,
                                 sources[refs], maps[refs], length(config$features), train$seed)
  }
  model <- new_scLM_model(config = config, labels = levels(labels), fit = fit,
                 training = training_summary(fit, train, started, n_cells = length(codes),
                                             objective = "classification",
                                             class_counts = table(labels, dnn = NULL), class_weights = class_weights,
                                             class_sampling = train$class_sampling,
                                             pretrained = !is.null(train$init_encoder),
                                             trainable_blocks = trainable_blocks, n_models = length(fits),
                                             downsample = train$downsample, mixup = train$mixup))
  model$training$interrupted <- interrupted
  if (length(fits) > 1L) {
    model$members <- lapply(fits[-1], `[[`, "weights")
    model$id <- model_id(classifier_weights(model))
  }
  model$unknown <- unknown
  model$reference_features <- learnt_features(config, maps)
  model$reference_shares <- shares  # annotate_cells() reads a query's totals against them
  if (!identical(config$modality, "atac")) {  # and matches its gene levels to these (match_levels)
    model$gene_levels <- reference_levels(sources[refs], maps[refs], length(config$features), codes, nlevels(labels))
  }
  model
}

# The vocabulary features the training cells held (`maps`: each source's row -> vocabulary index),
# when they lack some (a gene panel fine-tuned from a pretrained vocabulary); NULL when they hold all.
learnt_features <- function(config, maps) {
  held <- sort(unique(unlist(lapply(maps, function(map) map[map >= 0L])))) + 1L
  if (length(held) < length(config$features)) config$features[held]
}

# The fits of `n_models` models trained on `store` with seeds seed, seed + 1, ...: each the model
# one finetune() of its seed trains on as many threads as each model gets here (the core trains
# them side by side on the CPU). An interrupt ends the ensemble with the models trained so far.
train_members <- function(store, config, codes, n_classes, train, n_models, verbose) {
  members <- lapply(seq_len(n_models), function(i) {
    member <- train
    member$seed <- train$seed + i - 1L
    member$mixup <- train$mixup[(i - 1L) %% length(train$mixup) + 1L]
    member
  })
  if (verbose && n_models > 1L) cli::cli_inform("Training {n_models} models (seeds {train$seed} to {train$seed + n_models - 1L})")
  engine_train(store, config, codes, n_classes, members, verbose)
}

# Query-side adaptation (self-training, as Cellcano does for scATAC): `model` labels the query;
# a second round starts from its encoder and trains on the references (cell sources `sources` of
# hosts `datasets`) plus the query cells it labelled with probability at least `confidence` (a new
# head; the same settings and seed).
adapt_to_query <- function(model, sources, datasets, labels, query, confidence, assay, layer, train, epochs_given,
                           class_weights, n_models, ood_quantile, trainable_blocks, started, verbose) {
  # A query the model cannot read (too few of its genes) leaves the trained model to the user.
  called <- tryCatch(annotate_cells(model, query, assay = assay, layer = layer, unknown_method = "max_prob",
                                    num_threads = train$num_threads, device = train$device,
                                    precision = train$precision, verbose = FALSE),
                     scLM_overlap_error = function(e) {
                       cli::cli_warn(c("{.arg query} could not be labelled: the model is not adapted.",
                                       "x" = conditionMessage(e),
                                       "i" = "Annotate it with {.fn annotate_cells}, whose {.arg min_overlap} can be lowered."))
                       NULL
                     })
  if (is.null(called)) return(model)
  sure <- which(called$max.prob >= confidence)
  if (!length(sure)) {
    cli::cli_warn(c("No query cell was labelled with probability {confidence} or more: the model is not adapted.",
                    "i" = "Lower {.arg query_confidence}."))
    return(model)
  }
  if (verbose) {
    cli::cli_inform("Second round: the reference plus {length(sure)} of {length(called$labels)} query cells labelled with probability {confidence} or more.")
  }
  confident <- query[, sure]
  train$init_encoder <- model$encoder_weights
  if (!epochs_given) train$epochs <- default_epochs(sum(cell_counts(sources)) + length(sure))
  train$checkpoint <- NULL
  train$resume <- FALSE
  adapted <- fit_classifier(model$config, c(sources, list(cell_source(confident, assay, layer, arg = "query"))),
                            c(datasets, list(confident)),
                            factor(c(as.character(labels), called$labels[sure]), levels = levels(labels)),
                            train, class_weights, n_models, ood_quantile, trainable_blocks, assay, started, verbose,
                            references = length(sources))
  adapted$training$query_cells <- length(sure)
  adapted$training$pretrained <- model$training$pretrained
  adapted
}

# The config finetune() uses when none is given: SCTrans for genes; for peaks, annATAC's token
# model on references of fewer than 2,000 cells, SCTrans on peak islands on larger ones.
default_config <- function(features, n_cells) {
  if (!are_peaks(features)) return(sctrans_config())
  if (n_cells < 2000) annatac_config() else sctrans_config(modality = "atac")
}

# The weight of each class in the loss for `class_weights` (a finetune() choice) and the classes'
# reference cell counts `n`.
class_weight_values <- function(class_weights, n) {
  switch(class_weights, none = rep(1, length(n)), balanced = 1 / sqrt(n) / mean(1 / sqrt(n)),
         annatac = (1 - n / sum(n))^2)
}

# finetune()'s epochs when none are given: a budget of about 70,000 cell passes, 5 to 20 epochs,
# and at least `min_passes` cell passes (up to 60 epochs) on a small reference.
default_epochs <- function(n_cells, min_passes = 1e4) {
  as.integer(min(60, max(min(20, max(5, round(7e4 / n_cells))), ceiling(min_passes / n_cells))))
}

# "all" -> -1, "head" -> 0, n -> n (the top n blocks and the head).
check_trainable_blocks <- function(x, n_layers, from_scratch, call = parent.frame()) {
  blocks <- if (identical(x, "all")) -1L else if (identical(x, "head")) 0L else
    check_count(x, 0L, n_layers, "trainable_blocks", call = call)
  if (from_scratch && blocks != -1L) {
    cli::cli_abort(c("{.arg trainable_blocks} can only freeze blocks of a pretrained model.",
                     "i" = "Pass a model from {.fn pretrain} as {.arg model_or_config}, or keep {.code trainable_blocks = \"all\"}."),
                   call = call)
  }
  blocks
}
