# Annotation speed on queries with many genes outside the model (since stop 58 the engine reads a
# block's vocabulary rows and one row of each cell's other counts, `read_rows()` in
# R/model_family.R), against an earlier build of scLM in a private library (its name is kept in the
# rows). One default fit per task (seed 1, this build) is saved; then each build, in a fresh R
# process, in turns (env SCLM_BENCH_ROUNDS times each, default 2), annotates the task's test cells
# repeated to 5,000 (as annotation_tasks.R times them) and the labels and probabilities of the two
# builds are compared.
#   Rscript bench/query_width.R <earlier build's library> [task ...]   (default: the cell lines
#   Drop-seq -> CEL-seq2, 15,073 genes, and pbmc3k, 13,714; rows appended to
#   bench/results/query_width.tsv)
source("bench/annotation_common.R")
args <- commandArgs(trailingOnly = TRUE)

if (length(args) && args[1] == "--child") {  # one build's annotation: task, model file, output file
  task <- selected_tasks(args[2])[[1]]()
  model <- readRDS(args[3])
  result <- suppressMessages(annotate_cells(model, task$test, verbose = FALSE))
  saveRDS(result$probabilities, args[4])
  cat(sprintf("RESULT\t%.0f\t%d\n", annotation_speed(model, task$test),
              length(task$test[, rep_len(seq_len(ncol(task$test)), 5000)]@x)))
  quit(save = "no")
}

if (!length(args)) stop("usage: Rscript bench/query_width.R <earlier build's library> [task ...]")
libraries <- c(earlier = normalizePath(args[1]), this = "")
tasks <- if (length(args) > 1) args[-1] else c("cellline3:dropseq->celseq2", "pbmc3k")
out <- "bench/results/query_width.tsv"
dir <- tempfile("query_width")
dir.create(dir)
for (name in tasks) {
  task <- selected_tasks(name)[[1]]()
  model_file <- file.path(dir, "model.rds")
  saveRDS(default_model(task, 1L), model_file)
  probabilities <- list()
  for (round in seq_len(as.integer(Sys.getenv("SCLM_BENCH_ROUNDS", "2")))) {
    for (build in names(libraries)) {
      file <- file.path(dir, paste0(build, ".rds"))
      lines <- system2("env", c(paste0("R_LIBS=", libraries[[build]]), "Rscript", "bench/query_width.R", "--child",
                                shQuote(name), model_file, file), stdout = TRUE)
      f <- strsplit(grep("^RESULT\t", lines, value = TRUE), "\t")[[1]]
      probabilities[[build]] <- readRDS(file)
      r <- data.frame(date = format(Sys.time(), "%Y-%m-%d %H:%M"), task = name, genes = nrow(task$test),
                      earlier_build = basename(libraries[["earlier"]]),
                      entries_per_5000_cells = as.numeric(f[3]), build = build, round = round,
                      cells_per_s = as.numeric(f[2]))
      print(r, row.names = FALSE)
      utils::write.table(r, out, sep = "\t", row.names = FALSE, quote = FALSE, append = file.exists(out),
                         col.names = !file.exists(out))
    }
  }
  p <- probabilities
  cat(sprintf("%s: probabilities identical %s (largest difference %.2g); labels identical %s\n", name,
              identical(p$earlier, p$this), max(abs(p$earlier - p$this)),
              identical(max.col(p$earlier, "first"), max.col(p$this, "first"))))
}
