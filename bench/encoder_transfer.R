# Fine-tuning from a pretrained SCTrans encoder vs the package defaults from scratch, on the
# human PBMC tasks of bench/annotation_common.R. The encoder for a task is pretrained (pretrain(),
# sctrans_config() defaults, seed 1, labels unused) on the four symbol-named human RNA sets of
# ../shared/data except the task's own dataset, so it has never seen the task's cells: what the
# shipped encoder pretrained_model("human_rna_sctrans") offers a dataset it was not pretrained on.
#   Rscript bench/encoder_transfer.R [epochs] [task ...]   (default 30 epochs; pbmc3k:10% and the
#   three symphony tasks; ~25 min on 2 cores). Seeds 1-3. Appends to bench/results/encoder_transfer.tsv.
# env SCLM_BENCH_STARTS: the starts run (default "scratch,encoder"); SCLM_BENCH_SUFFIX is added to
# the start's name, to tell builds apart.
source("bench/annotation_common.R")
args <- commandArgs(trailingOnly = TRUE)
epochs <- if (length(args)) as.integer(args[1]) else 30L
targets <- if (length(args) > 1) args[-1] else c("pbmc3k:10%", "symphony:3pv1", "symphony:3pv2", "symphony:5p")
sets <- human_symbol_sets()
human <- names(sets)
dataset_of <- function(task) if (grepl("^symphony", task)) human[2] else human[1]

out <- "bench/results/encoder_transfer.tsv"
# A run appends its rows under a comment line that dates it.
fresh <- !file.exists(out)
cat(sprintf("# %s; %d cores; encoders: sctrans_config() pretrained %d epochs on the other human sets; seeds %s; tasks %s\n",
            format(Sys.Date()), parallel::detectCores(), epochs, paste(bench_seeds(), collapse = ","),
            paste(targets, collapse = ", ")), file = out, append = !fresh)
rows <- list()
encoders <- list()
for (target in targets) {
  leave <- dataset_of(target)
  if (is.null(encoders[[leave]])) {
    t0 <- proc.time()[["elapsed"]]
    # the expm1() pancreas sets are not integer counts: pretrain() warns about that, as expected here
    encoders[[leave]] <- suppressWarnings(pretrain(sets[setdiff(human, leave)], sctrans_config(), epochs = epochs,
                                                   seed = 1, verbose = FALSE))
    encoders[[leave]]$pretrain_s <- proc.time()[["elapsed"]] - t0
  }
  encoder <- encoders[[leave]]
  task <- annotation_tasks[[target]]()
  starts <- strsplit(Sys.getenv("SCLM_BENCH_STARTS", "scratch,encoder"), ",")[[1]]
  for (seed in bench_seeds()) for (start in starts) {
    t0 <- proc.time()[["elapsed"]]
    model <- if (start == "scratch") default_model(task, seed) else
      finetune(encoder, task$train, task$train_labels, seed = seed, verbose = FALSE)
    fit_s <- proc.time()[["elapsed"]] - t0
    pred <- annotate_cells(model, task$test, verbose = FALSE)$labels
    rows[[length(rows) + 1L]] <- data.frame(
      task = target, start = paste0(start, Sys.getenv("SCLM_BENCH_SUFFIX")), seed = seed, pretrained_without = leave,
      encoder_genes = if (start == "encoder") length(encoder$features) else NA,
      reference_genes_read = length(model$reference_features %||% model$features),
      pretrain_s = if (start == "encoder") round(encoder$pretrain_s) else NA,
      macro_f1 = round(macro_f1(task$test_labels, pred), 4), accuracy = round(mean(pred == task$test_labels), 4),
      fit_s = round(fit_s, 1))
    print(rows[[length(rows)]], row.names = FALSE)
  }
}
suppressWarnings(utils::write.table(do.call(rbind, rows), out, sep = "\t", quote = FALSE, row.names = FALSE,
                                    append = TRUE, col.names = fresh))
