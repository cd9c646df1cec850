# Bit-identity check for restructurings that must not change behaviour: trains the demo model
# (make demo's settings, seed 1) and small models of every family (SCTrans, masked pretraining,
# annATAC), annotates, and saves labels, probabilities, embeddings and histories.
#   Rscript bench/identity.R save <file.rds>      record the outputs of the installed scLM
#   Rscript bench/identity.R compare <file.rds>   fail unless the installed scLM gives the same bits
suppressPackageStartupMessages(library(scLM))
args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) == 2L, args[[1]] %in% c("save", "compare"))

pbmc <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
source(system.file("scripts", "standard_split.R", package = "scLM"))
split <- stratified_split(pbmc$cell_type)
ref <- pbmc$counts[, split$train]
query <- pbmc$counts[, split$test]
labels <- pbmc$cell_type[split$train]

outputs <- list()
# Histories without their wall-clock column.
history <- function(model) model$history[setdiff(names(model$history), "seconds")]
keep <- function(name, model, result) {
  outputs[[name]] <<- list(labels = result$labels, pruned = result$pruned.labels,
                           probabilities = result$probabilities, history = history(model),
                           unknown = model$unknown, features = model$config$features)
}

demo <- finetune(scLMConfig(), ref, labels = labels, seed = 1, verbose = FALSE)
keep("demo", demo, annotate_cells(demo, query, verbose = FALSE))
outputs$demo$mahalanobis <- annotate_cells(demo, query, unknown_method = "mahalanobis", verbose = FALSE)$unknown.score
outputs$demo$embedding <- embed_cells(demo, query[, 1:50], verbose = FALSE)

small <- scLMConfig(n_features = 500, dim = 32, max_tokens = 64)
encoder <- pretrain(pbmc$counts, small, epochs = 2, seed = 2, verbose = FALSE)
outputs$pretrain <- list(history = history(encoder), embedding = embed_cells(encoder, query[, 1:50], verbose = FALSE))
tuned <- finetune(encoder, ref, labels = labels, epochs = 2, seed = 3, verbose = FALSE)
keep("pretrained_finetune", tuned, annotate_cells(tuned, query, verbose = FALSE))

for (tok in c("value_bins", "rank")) {
  m <- finetune(scLMConfig(n_features = 500, dim = 32, max_tokens = 64, tokenizer = tok), ref, labels = labels,
                epochs = 2, seed = 4, verbose = FALSE)
  keep(tok, m, annotate_cells(m, query, verbose = FALSE))
}

sct <- finetune(sctrans_config(n_features = 400, dim = 16), ref, labels = labels, epochs = 2, seed = 5, verbose = FALSE)
keep("sctrans", sct, annotate_cells(sct, query, verbose = FALSE))
sct_pre <- pretrain(pbmc$counts, sctrans_config(n_features = 400, dim = 16), epochs = 1, seed = 6, verbose = FALSE)
outputs$sctrans_pretrain <- list(history = history(sct_pre))

granja <- readRDS(system.file("extdata", "granja_bm_atac.rds", package = "scLM"))
atac_split <- stratified_split(granja$cell_type)
atac <- finetune(annatac_config(), granja$counts[, atac_split$train], labels = granja$cell_type[atac_split$train],
                 epochs = 2, seed = 7, verbose = FALSE)
keep("annatac", atac, annotate_cells(atac, granja$counts[, atac_split$test], verbose = FALSE))

if (args[[1]] == "save") {
  saveRDS(outputs, args[[2]])
  cat("saved", length(outputs), "runs to", args[[2]], "\n")
} else {
  before <- lapply(readRDS(args[[2]]), function(run) {
    if (!is.null(run$history)) run$history$seconds <- NULL  # files saved before it was dropped
    run
  })
  same <- vapply(names(before), function(n) identical(before[[n]], outputs[[n]]), logical(1))
  print(same)
  for (n in names(same)[!same]) {
    for (f in names(before[[n]])) {
      if (!identical(before[[n]][[f]], outputs[[n]][[f]])) {
        cat(sprintf("%s$%s differs: %s\n", n, f, paste(format(all.equal(before[[n]][[f]], outputs[[n]][[f]])), collapse = "; ")))
      }
    }
  }
  if (!all(same)) quit(status = 1)
  cat("bit-identical:", length(same), "runs\n")
}
