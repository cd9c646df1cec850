# Counts, per fine-tune of each model family on 1/6 of pbmc3k, how often the training matrix is
# validated (as_counts / check_counts) and how often each compiled export is called (trace()).
#   R_LIBS=<lib> Rscript tools/count_core_calls.R
suppressPackageStartupMessages(library(scLM))
ns <- asNamespace("scLM")
.calls <- new.env()
watch <- c(grep("^sclm_", ls(ns), value = TRUE), intersect(c("as_counts", "check_counts"), ls(ns)))
for (f in watch) {
  local({ g <- f
    suppressMessages(trace(g, where = ns, print = FALSE,
      tracer = bquote(assign(.(g), (if (exists(.(g), envir = .GlobalEnv$.calls)) get(.(g), envir = .GlobalEnv$.calls) else 0) + 1, envir = .GlobalEnv$.calls))))
  })
}
p <- readRDS(system.file("extdata", "pbmc3k.rds", package = "scLM"))
cells <- seq(1, ncol(p$counts), by = 6)
for (tok in c("bins", "rank")) {
  rm(list = ls(.calls), envir = .calls)
  m <- finetune(scLMConfig(n_features = 300, dim = 16, max_tokens = 32, tokenizer = tok), p$counts[, cells],
                p$cell_type[cells], epochs = 1, verbose = FALSE)
  cat(tok, ":", paste(sprintf("%s=%d", ls(.calls), unlist(mget(ls(.calls), envir = .calls))), collapse = " "), "\n")
}
rm(list = ls(.calls), envir = .calls)
m <- finetune(sctrans_config(n_features = 256, scales = c(16, 32), gene_order = "coexpression", dim = 16), p$counts[, cells],
              p$cell_type[cells], epochs = 1, verbose = FALSE)
cat("sctrans :", paste(sprintf("%s=%d", ls(.calls), unlist(mget(ls(.calls), envir = .calls))), collapse = " "), "\n")
