# Levers for annotation quality (issue 23), each against the defaults and the baselines in the same
# run: every variant below is a way to fit a model (or several, whose probabilities are averaged).
#   Rscript bench/annotation_levers.R <variant,variant,...> [task ...]
# A variant's name followed by "_binary" runs it on counts set to 1 where not 0 (reference and query),
# by "_panel<N>" on the reference's N most variable genes alone, by "_ranks" on per-cell ranks.
# env SCLM_BENCH_SEEDS (default 1,2,3). Appends to bench/results/annotation_levers.tsv.
source("bench/annotation_common.R")
seeds <- bench_seeds()

# An SCTrans encoder pretrained with pretrain()'s defaults on a task's reference and query cells
# together (no labels), its scales halved for the task's genes as default_scales() does (128/256
# from 512 genes on, as sctrans_config(); 32/64 for pancreas's 219, which pretrain() asks for).
joint_encoder <- function(task, seed) {
  config <- sctrans_config(scales = scLM:::default_scales(FALSE, nrow(task$train)))
  pretrain(list(task$train, task$test), config, seed = seed, verbose = FALSE)
}
# config NULL: the package defaults, as finetune(x =, labels =).
fit <- function(config, ...) {
  function(task, seed) finetune(config, task$train, task$train_labels, seed = seed, verbose = FALSE, ...)
}
# Each variant pins what it was run with: the token model and the SCTrans rows before the new
# defaults ran with class_weights = "none" and SCTrans's published scales 16/32/64 at dim 32.
# Variants on sctrans_config() run on its current defaults: rows dated before 2026-12-03 ran with
# the matrix's row order, later ones with the co-expression order (the default since; sct_coexpr
# pins it; its rows equal annotation_tasks.R's default rows of 2026-12-03 on the nine tasks both ran);
# rows from 2026-12-04 17:00 on ran with three models of 128/256-gene sub-vectors (stop 41; sct_32_64
# pins the one model of 32/64 before).
token <- function(...) fit(scLMConfig(...), class_weights = "none")
old_sctrans <- function(config = sctrans_config(scales = c(16L, 32L, 64L), dim = 32L), ...) fit(config, ...)
passes_floor <- function(task, seed, passes) {
  finetune(x = task$train, labels = task$train_labels, seed = seed, verbose = FALSE,
           epochs = scLM:::default_epochs(ncol(task$train), passes))
}
variants <- list(
  package_defaults = default_model,  # finetune(x =, labels =) as annotation_tasks.R runs it
  package_downsample0 = fit(NULL, downsample = 0),  # the defaults before stop 49: no down-sampling
  default = token(),  # the token model's defaults before
  smoothing = fit(scLMConfig(), class_weights = "none", label_smoothing = 0.1),  # already the default: as `default`
  balanced = fit(scLMConfig(), class_weights = "balanced"),
  no_validation = fit(scLMConfig(), class_weights = "none", validation_fraction = 0, epochs = 15),
  tokens512 = token(max_tokens = 512),
  value_bins = token(tokenizer = "value_bins"),
  rank = token(tokenizer = "rank"),
  dropout0.2 = fit(scLMConfig(), class_weights = "none", token_dropout = 0.2),
  lr3e3 = fit(scLMConfig(), class_weights = "none", learning_rate = 3e-3),
  dim64 = token(dim = 64),
  sctrans = old_sctrans(class_weights = "none"),
  sctrans_no_validation = old_sctrans(class_weights = "none", validation_fraction = 0, epochs = 15),
  sctrans_no_contrastive = old_sctrans(sctrans_config(scales = c(16L, 32L, 64L), dim = 32L, contrastive_weight = 0),
                                       class_weights = "none"),
  sctrans_balanced = old_sctrans(class_weights = "balanced"),
  sctrans_balanced_scales32_64 = old_sctrans(sctrans_config(scales = c(32L, 64L), dim = 32L), class_weights = "balanced"),
  sctrans_balanced_epochs12 = old_sctrans(class_weights = "balanced", epochs = 12, patience = 4),
  # The new defaults: sctrans_config() (scales 32/64, dim 64) with balanced class weights.
  sct = fit(sctrans_config()),
  sct_dim32 = fit(sctrans_config(dim = 32)),
  sct_dim32_no_validation = fit(sctrans_config(dim = 32), validation_fraction = 0, epochs = 15),
  sct_dim32_lr2e3 = fit(sctrans_config(dim = 32), learning_rate = 2e-3),
  sct_batch64 = fit(sctrans_config(), batch_size = 64),
  sct_epochs15 = fit(sctrans_config(), epochs = 15),
  # Query-side adaptation (self-training, as Cellcano does): the default model labels the query; a
  # second round starts from its encoder and trains on the reference plus the query cells labelled
  # with probability of at least 0.9.
  sct_selftrain = function(task, seed) {
    first <- finetune(x = task$train, labels = task$train_labels, seed = seed, verbose = FALSE)
    a <- annotate_cells(first, task$test, verbose = FALSE)
    sure <- which(apply(a$probabilities, 1, max) >= 0.9)
    finetune(first, cbind(task$train, task$test[, sure]), c(as.character(task$train_labels), a$labels[sure]),
             seed = seed, verbose = FALSE)
  },
  # The same through finetune(query = ), which does what sct_selftrain does by hand (query_confidence 0.9,
  # its default then), and with query cells labelled with probability 0.7 or more (its default since).
  sct_query = function(task, seed) finetune(x = task$train, labels = task$train_labels, query = task$test,
                                            query_confidence = 0.9, seed = seed, verbose = FALSE),
  sct_query07 = function(task, seed) finetune(x = task$train, labels = task$train_labels, query = task$test,
                                              query_confidence = 0.7, seed = seed, verbose = FALSE),
  # Augmentation that mimics another platform's gene capture: per-gene log-scale noise of SD 0.25 / 0.5 / 1,
  # drawn per training step and shared by its cells.
  sct_gene_scale025 = fit(sctrans_config(), gene_scale_noise = 0.25),
  sct_gene_scale05 = fit(sctrans_config(), gene_scale_noise = 0.5),
  sct_gene_scale1 = fit(sctrans_config(), gene_scale_noise = 1),
  # Mixup (stop 55): each step blends its cells with the same cells in a random order, by a share
  # from Beta(a, a) folded to [0.5, 1], and the loss blends their labels alike.
  sct_mixup02 = fit(sctrans_config(), mixup = 0.2),
  sct_mixup04 = fit(sctrans_config(), mixup = 0.4),
  sct_mixup1 = fit(sctrans_config(), mixup = 1),
  # Rare classes oversampled by hand: every class of fewer than 20 reference cells repeated up to 20
  # (a probe for balanced sampling; the repeats can land in the validation split).
  sct_oversample20 = function(task, seed) {
    keep <- unlist(lapply(split(seq_along(task$train_labels), task$train_labels), function(i) {
      if (length(i) >= 20L) i else rep_len(i, 20L)
    }), use.names = FALSE)
    finetune(x = task$train[, keep], labels = task$train_labels[keep], seed = seed, verbose = FALSE)
  },
  # Gene order: sub-vectors of genes that vary together (clustered on up to 2,000 reference cells)
  # instead of the matrix's row order, which is arbitrary outside Cell Ranger output; and dropping
  # 30% of a cell's genes in training instead of 10% (gene dropout, which won on peak islands).
  sct_coexpr = fit(sctrans_config(gene_order = "coexpression")),
  # coarser gene sub-vectors, one model or three (as islands since stop 40)
  sct_32_64 = fit(sctrans_config(scales = c(32L, 64L)), n_models = 1L),
  sct_64_128_n_models3 = fit(sctrans_config(scales = c(64L, 128L)), n_models = 3L),
  sct_128_256_n_models3 = fit(sctrans_config(scales = c(128L, 256L)), n_models = 3L),
  sct_128_256_n_models5 = fit(sctrans_config(scales = c(128L, 256L)), n_models = 5L),
  sct_256_512_n_models3 = fit(sctrans_config(scales = c(256L, 512L)), n_models = 3L),
  sct_token_dropout03 = fit(sctrans_config(), token_dropout = 0.3),
  # Augmentation that mimics shallower sequencing: each training cell's counts binomially down-sampled
  # per step to a share drawn log-uniformly in [0.5, 1] / [0.2, 1] (finetune(downsample = )).
  sct_downsample05 = fit(sctrans_config(gene_order = "coexpression"), downsample = 0.5),
  sct_downsample08 = fit(sctrans_config(gene_order = "coexpression"), downsample = 0.8),
  # (sct_smoothed_selection: the defaults with the best epoch judged by its validation loss averaged
  # with the two epochs before it; a change to src/core/train/loop.cpp measured through
  # annotation_tasks.R and reverted, see bench/README.md.)
  # scATAC (granja tasks): annATAC's token model as it was the default, and SCTrans on peak islands
  annatac = fit(annatac_config(), class_weights = "none"),
  atac_sct = fit(sctrans_config(modality = "atac")),
  atac_sct_64_128 = fit(sctrans_config(modality = "atac", scales = c(64L, 128L))),
  atac_sct_dim32 = fit(sctrans_config(modality = "atac", dim = 32L)),
  atac_sct_256_512 = fit(sctrans_config(modality = "atac", scales = c(256L, 512L))),
  atac_sct_512_1024 = fit(sctrans_config(modality = "atac", scales = c(512L, 1024L))),
  atac_sct_512_1024_n_models3 = fit(sctrans_config(modality = "atac", scales = c(512L, 1024L)), n_models = 3L),
  atac_sct_dropout03 = fit(sctrans_config(modality = "atac", dropout = 0.3)),
  atac_sct_token_dropout03 = fit(sctrans_config(modality = "atac"), token_dropout = 0.3),
  atac_sct_token_dropout05 = fit(sctrans_config(modality = "atac"), token_dropout = 0.5),
  atac_sct_unweighted = fit(sctrans_config(modality = "atac"), class_weights = "none"),
  atac_sct_downsample05 = fit(sctrans_config(modality = "atac"), downsample = 0.5),
  # islands in co-accessibility order (rows of 2026-12-04 14:26: annotation_tasks.R's run while
  # it was the default of a temporary build)
  atac_sct_coaccessibility = fit(sctrans_config(modality = "atac", gene_order = "coexpression")),
  # with "_as_genes": the peaks of a set whose every peak is its own island (D6T1) read as genes,
  # to measure the co-accessibility order that islands do not offer (vocabulary order = genome order)
  atac_peaks_vocabulary = fit(sctrans_config(n_features = 10000L, scales = c(128L, 256L), gene_order = "vocabulary"), token_dropout = 0.3),
  atac_peaks_coexpr = fit(sctrans_config(n_features = 10000L, scales = c(128L, 256L)), token_dropout = 0.3),
  # finetune(n_models = 3): an ensemble of the models of seeds s, s + 1, s + 2 (logits averaged).
  package_n_models3 = fit(NULL, n_models = 3L),
  # Four models instead of three (stop 57): on two cores side by side in the time of three.
  package_n_models4 = fit(NULL, n_models = 4L),
  # Starting from the shipped encoder pretrained_model("human_rna_small") (a token model: 4,047
  # genes of the four symbol-named human sets of ../shared/data, pbmc3k and symphony among them,
  # labels unused), against the token model's package defaults from scratch (scLMConfig()).
  shipped_encoder = function(task, seed) {
    finetune(pretrained_model("human_rna_small"), task$train, task$train_labels, seed = seed, verbose = FALSE)
  },
  token_package = fit(scLMConfig()),
  # The defaults on a larger vocabulary: the reference's 3,000 / 4,000 most variable genes instead
  # of 2,000 (more sub-vectors of the same sizes; an ensemble of three as the defaults).
  package_features3000 = fit(sctrans_config(n_features = 3000L)),
  package_features4000 = fit(sctrans_config(n_features = 4000L)),
  # The defaults on the most variable genes alone (the vocabulary before stop 45, given as features).
  package_no_markers = function(task, seed) {
    finetune(sctrans_config(features = scLM:::select_features(task$train, sctrans_config())), task$train,
             task$train_labels, seed = seed, verbose = FALSE)
  },
  # The defaults' 2,000 genes made of each class's 20 marker genes (the largest differences of the
  # class's mean log1p(CP10k) from the mean of the other classes' means) plus the most variable
  # genes of the package's selection, as many as keep the vocabulary at about 2,000: a rare class's
  # markers may vary too little over all cells to be among the most variable (the package's rule
  # since stop 45, which this bench copy measured first).
  package_markers20 = function(task, seed) {
    finetune(sctrans_config(features = marker_vocabulary(task, 20L)), task$train, task$train_labels,
             seed = seed, verbose = FALSE)
  },
  # the same, markers only of classes of at least 5 reference cells (a 2-cell class's are noise)
  package_markers20_min5 = function(task, seed) {
    finetune(sctrans_config(features = marker_vocabulary(task, 20L, min_cells = 5L)), task$train, task$train_labels,
             seed = seed, verbose = FALSE)
  },
  # (package_shared_validation_split: the defaults with every model of the ensemble holding out the
  # validation cells of the first, so that the unknown-cell scores could be calibrated on cells no
  # model saw; rows of 2026-12-04 19:20 from a temporary build, measured through annotation_tasks.R
  # and reverted, see bench/README.md.) Each model holding out its own 20% instead of 10% of each
  # class: the models see more different cells, each fewer.
  package_validation02 = fit(NULL, validation_fraction = 0.2),
  # The defaults with label smoothing 0 / 0.2 instead of 0.1 (the share of each training label's
  # target spread evenly over all classes).
  package_smoothing0 = fit(NULL, label_smoothing = 0),
  package_smoothing02 = fit(NULL, label_smoothing = 0.2),
  # Stronger regularisation, against fitting the reference's own batch (stop 49).
  package_weight_decay02 = fit(NULL, weight_decay = 0.2),
  package_dropout02 = fit(sctrans_config(dropout = 0.2)),
  # Early stopping after 5 / 6 epochs without a lower validation loss instead of 8 (bench/patience.R
  # replays the rule on the default fits' losses; a model whose best epoch a patience keeps gets the
  # same weights, so these rows differ from the defaults only where it does not).
  package_patience5 = fit(NULL, patience = 5L),
  package_patience6 = fit(NULL, patience = 6L),
  # The learning rate of the defaults (1e-3, chosen on seed 1 of an older default) halved, doubled, tripled.
  package_lr5e4 = fit(NULL, learning_rate = 5e-4),
  package_lr2e3 = fit(NULL, learning_rate = 2e-3),
  package_lr3e3 = fit(NULL, learning_rate = 3e-3),
  # Transductive pretraining (stop 52): an SCTrans encoder pretrained (masked + contrastive, the
  # defaults of pretrain()) on the reference and the query cells together, without labels, then
  # the defaults fine-tuned from it on the reference: the encoder has seen the query's platform.
  package_pretrain_joint = function(task, seed) {
    finetune(joint_encoder(task, seed), task$train, task$train_labels, seed = seed, verbose = FALSE)
  },
  # The two together: the jointly pretrained encoder, then finetune(query = ) from it.
  package_pretrain_joint_query = function(task, seed) {
    finetune(joint_encoder(task, seed), task$train, task$train_labels, query = task$test, seed = seed, verbose = FALSE)
  },
  # Model size and batch size of the defaults (dim 64, 2 layers, batches of 32 cells; stop 52).
  # package_batch64 is sct_batch64 on genes; its name keeps its rows apart from sct_batch64's of
  # 2026-12-02, which ran on the one-model 32/64 default of then.
  package_dim128 = fit(sctrans_config(dim = 128L)),
  package_layers3 = fit(sctrans_config(n_layers = 3L)),
  package_batch16 = fit(NULL, batch_size = 16L),
  package_batch64 = fit(NULL, batch_size = 64L),
  # More epochs than the 20 at most of the default before stop 59, which gave a reference of a few
  # hundred cells about 120 optimiser steps.
  package_epochs40 = fit(NULL, epochs = 40L),
  package_epochs60 = fit(NULL, epochs = 60L),
  # A floor of 10,000 / 20,000 cell passes under the 70,000-pass budget (at most 60 epochs);
  # package_passes10k is the default since stop 59.
  package_passes10k = function(task, seed) passes_floor(task, seed, 1e4),
  package_passes20k = function(task, seed) passes_floor(task, seed, 2e4),
  # No early stopping (patience as long as the longest default schedule): the validation loss
  # still picks the best epoch.
  package_patience60 = fit(NULL, patience = 60L),
  # Class-balanced sampling (stop 60; finetune(class_sampling = )): each epoch draws a class of n
  # cells n^(1 - s) of the time. s = 0.5 without class weights puts the "balanced" loss's weight
  # in the draws instead; 1 without weights draws every class alike; 0.5 with the balanced
  # weights gives every class the same weight in an epoch.
  # package_sampling05 is the default since stop 60; package_sampling0 the default before.
  package_sampling0 = fit(NULL, class_sampling = 0),
  package_sampling05_noweights = fit(NULL, class_sampling = 0.5, class_weights = "none"),
  package_sampling1_noweights = fit(NULL, class_sampling = 1, class_weights = "none"),
  package_sampling05 = fit(NULL, class_sampling = 0.5),
  # s = 0.25 with the balanced weights: a class of n cells weighs n^0.25 in an epoch (stop 61),
  # between the old default's n^0.5 and the equal weights of 0.5.
  package_sampling025 = fit(NULL, class_sampling = 0.25),
  # The defaults for a third of their epochs: "package_third_epochsx3" is an ensemble of three
  # at about the training time of one default model.
  package_third_epochs = function(task, seed) {
    finetune(x = task$train, labels = task$train_labels, seed = seed, verbose = FALSE,
             epochs = max(2L, ceiling(scLM:::default_epochs(ncol(task$train)) / 3)))
  },
  # The defaults' three models made different in what they see (a probe; the package's
  # train_members() is patched for the one fit): the first as now (it also calibrates the unknown
  # scores), the second with downsample = 0.8, the third with gene_scale_noise = 0.5, the two
  # augmentations for a query from another protocol (each alone: bench/README.md, stops 31 and 34).
  package_member_augment = function(task, seed) {
    with_member_settings(list(list(), list(downsample = 0.8), list(gene_scale_noise = 0.5)),
                         default_model(task, seed))
  },
  # The default ensemble with its second model trained at twice the learning rate (stop 51: 2e-3
  # alone won 3'v2 and steadied 5', and lost on most other tasks).
  package_member_lr2e3 = function(task, seed) {
    with_member_settings(list(list(), list(learning_rate = 2e-3), list()), default_model(task, seed))
  },
  # The defaults with their third model trained with mixup = 1 (stop 55: mixup in every model won
  # across platforms and lost within pbmc3k).
  package_member_mixup1 = fit(NULL, mixup = c(0, 0, 1))
)
# Evaluates `expr` with member i of finetune()'s ensemble trained with settings[[i]] on top of the call's.
with_member_settings <- function(settings, expr) {
  ns <- asNamespace("scLM")
  original <- get("train_members", ns)
  patched <- function(store, config, codes, n_classes, train, n_models, verbose) {
    lapply(seq_len(n_models), function(i) {
      member <- utils::modifyList(train, c(settings[[i]], list(seed = train$seed + i - 1L)))
      original(store, config, codes, n_classes, member, 1L, verbose)[[1]]
    })
  }
  environment(patched) <- environment()
  unlockBinding("train_members", ns)
  assign("train_members", patched, ns)
  on.exit({ assign("train_members", original, ns); lockBinding("train_members", ns) })
  expr
}
# Each cell's non-zero values replaced by their rank within the cell (ties averaged).
per_cell_ranks <- function(m) {
  m <- methods::as(m, "CsparseMatrix")
  for (j in seq_len(ncol(m))) {
    k <- seq.int(m@p[j] + 1L, length.out = m@p[j + 1L] - m@p[j])
    m@x[k] <- rank(m@x[k])
  }
  m
}
# package_markers<N>'s genes, in the matrix's row order (as the package's own selection): with no
# marker outside the most variable genes it is the defaults' vocabulary.
marker_vocabulary <- function(task, per_class, size = 2000L, min_cells = 1L) {
  l <- lognorm(task$train)
  cells <- split(seq_along(task$train_labels), task$train_labels)
  means <- sapply(cells, function(i) Matrix::rowMeans(l[, i, drop = FALSE]))
  markers <- unique(unlist(lapply(which(lengths(cells) >= min_cells), function(k) {
    d <- means[, k] - rowMeans(means[, -k, drop = FALSE])
    rownames(l)[order(d, decreasing = TRUE)[seq_len(per_class)]]
  })))
  variable <- scLM:::select_features(task$train, sctrans_config(n_features = size))
  variable <- scLM:::select_features(task$train, sctrans_config(n_features = size - length(setdiff(markers, variable))))
  keep <- union(variable, markers)
  message(length(keep), " genes, ", length(setdiff(markers, variable)), " markers not among the most variable")
  rownames(task$train)[rownames(task$train) %in% keep]
}
# `task` with per_cell_ranks() of its reference and its query.
with_ranks <- function(task) {
  task$train <- per_cell_ranks(task$train)
  task$test <- per_cell_ranks(task$test)
  task
}
# Blends with another kind of model: the test cells x classes probabilities of the default model
# averaged with those of the linear baseline (an ensemble member of a different family), or with
# those of the defaults trained and run on per-cell ranks (sct_with_rank_models: six models).
blends <- list(
  sct_plus_linear = function(task, seed) {
    p <- annotate_cells(default_model(task, seed), task$test, verbose = FALSE)$probabilities
    p + linear_baseline(task, probabilities = TRUE)[, colnames(p)]
  },
  sct_with_rank_models = function(task, seed) {
    p <- annotate_cells(default_model(task, seed), task$test, verbose = FALSE)$probabilities
    ranked <- with_ranks(task)
    p + annotate_cells(default_model(ranked, seed), ranked$test, verbose = FALSE)$probabilities[, colnames(p)]
  },
  # The defaults' three models (seeds s, s + 1, s + 2, log-probabilities averaged as finetune()'s
  # ensemble averages logits), the second and third reading the first's vocabulary rotated by a
  # third and two thirds of the smaller sub-vector (43 and 85 of 128 genes): the same genes in the
  # same co-expression order, cut into sub-vectors at other places, so that the members differ in
  # which genes share a token (a probe of feature diversity between the members).
  # package_unrotated_members is the same with no rotation: the defaults' ensemble, as a check.
  package_rotated_members = function(task, seed) rotated_members(task, seed, c(0L, 43L, 85L)),
  package_unrotated_members = function(task, seed) rotated_members(task, seed, c(0L, 0L, 0L))
)
rotated_members <- function(task, seed, offsets) {
  log_p <- function(model) log(pmax(annotate_cells(model, task$test, verbose = FALSE)$probabilities, 1e-30))
  first <- finetune(x = task$train, labels = task$train_labels, seed = seed, n_models = 1L, verbose = FALSE)
  genes <- first$config$features
  p <- log_p(first)
  for (i in seq_along(offsets)[-1]) {
    k <- offsets[i]
    rotated <- if (k == 0L) genes else c(genes[-seq_len(k)], genes[seq_len(k)])
    model <- finetune(sctrans_config(features = rotated, gene_order = "vocabulary"), task$train, task$train_labels,
                      seed = seed + i - 1L, n_models = 1L, verbose = FALSE)
    p <- p + log_p(model)[, colnames(p)]
  }
  exp(p / length(offsets))
}
# Ensembles: "<variant>xN" averages the probabilities of N models of seeds seed, seed + 100, ...
ensemble_of <- function(name) {
  m <- regmatches(name, regexec("^(.+)x([0-9]+)$", name))[[1]]
  if (!length(m) || is.null(variants[[m[2]]])) return(NULL)
  list(variant = variants[[m[2]]], n = as.integer(m[3]))
}

run_variant <- function(name, task, seed) {
  # "<variant>_binary": the reference's and the query's counts set to 1 where not 0 (scATAC).
  if (grepl("_binary$", name)) {
    task$train@x[] <- 1
    task$test@x[] <- 1
    name <- sub("_binary$", "", name)
  }
  # "<variant>_ranks": each cell's non-zero values replaced by their rank within the cell (ties
  # averaged), in reference and query: per-cell rank values, insensitive to depth and to a
  # platform's monotone distortions, fed to a model that reads counts.
  if (grepl("_ranks$", name)) {
    task <- with_ranks(task)
    name <- sub("_ranks$", "", name)
  }
  # "<variant>_panel<N>": the reference and the query hold only the reference's N most variable
  # genes (variance of log1p(CP10k) over the reference's cells), as a targeted gene panel would.
  panel <- regmatches(name, regexec("_panel([0-9]+)$", name))[[1]]
  if (length(panel)) {
    task <- on_panel(task, as.integer(panel[2]))
    name <- sub("_panel[0-9]+$", "", name)
  }
  # "<variant>_as_genes": peaks renamed peak1, peak2, ... (row order kept), so that a model for
  # genes reads them.
  if (grepl("_as_genes$", name)) {
    rownames(task$train) <- rownames(task$test) <- paste0("peak", seq_len(nrow(task$train)))
    name <- sub("_as_genes$", "", name)
  }
  if (!is.null(blends[[name]])) {  # fit_s: both fits and the annotation
    t0 <- proc.time()[["elapsed"]]
    p <- blends[[name]](task, seed)
    return(list(labels = colnames(p)[max.col(p, ties.method = "first")], fit_s = proc.time()[["elapsed"]] - t0,
                cells_per_s = NA))
  }
  ens <- ensemble_of(name)
  if (is.null(ens)) {
    if (is.null(variants[[name]])) stop("unknown variant ", name, "; variants: ", paste(c(names(variants), names(blends)), collapse = ", "))
    return(scLM_run(task, seed, variants[[name]]))
  }
  t0 <- proc.time()[["elapsed"]]
  models <- lapply(seq_len(ens$n), function(i) ens$variant(task, seed + 100L * (i - 1L)))
  fit_s <- proc.time()[["elapsed"]] - t0
  p <- Reduce(`+`, lapply(models, function(m) annotate_cells(m, task$test, verbose = FALSE)$probabilities))
  list(labels = colnames(p)[max.col(p, ties.method = "first")], fit_s = fit_s,
       cells_per_s = 1 / sum(1 / vapply(models, annotation_speed, numeric(1), test = task$test)))
}

args <- commandArgs(trailingOnly = TRUE)
wanted_variants <- strsplit(args[1], ",")[[1]]
tasks <- selected_tasks(args[-1])
out <- "bench/results/annotation_levers.tsv"
if (!file.exists(out)) {
  writeLines(paste(c("date", "variant", "task", "method", "seed", "n_train", "n_test", "macro_f1", "accuracy", "fit_s", "cells_per_s"),
                   collapse = "\t"), out)
}
write_row <- function(variant, r) {
  utils::write.table(cbind(date = format(Sys.time(), "%Y-%m-%d %H:%M"), variant = variant, r), out, sep = "\t",
                     row.names = FALSE, col.names = FALSE, quote = FALSE, append = TRUE)
}
for (name in names(tasks)) {
  task <- tasks[[name]]()
  n_train <- ncol(task$train)
  if (!identical(Sys.getenv("SCLM_BENCH_BASELINES"), "0")) for (r in baseline_rows(name, task)) write_row("-", r)
  for (v in wanted_variants) for (seed in seeds) {
    r <- run_variant(v, task, seed)
    write_row(v, result_row(name, "scLM", seed, n_train, task$test_labels, r$labels, r$fit_s, r$cells_per_s))
  }
}
