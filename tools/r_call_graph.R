# The call graph of R/ by file: which file's functions refer to which other file's functions
# (codetools::findGlobals, static references; S3 dispatch from a generic to its methods is not
# an edge). Prints the edges, the layers (files ordered so that each calls only files before it)
# and fails when the graph has a cycle or when a compiled export (sclm_*) is called outside
# R/engine.R.   Rscript tools/r_call_graph.R [R-folder]
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args)) args[[1]] else "R"
files <- list.files(dir, pattern = "\\.R$", full.names = TRUE)
owner <- character(0)
defs <- list()
for (f in files) {
  env <- new.env()
  sys.source(f, envir = env, keep.source = FALSE, toplevel.env = env)
  for (n in ls(env, all.names = TRUE)) if (is.function(env[[n]])) { owner[[n]] <- basename(f); defs[[n]] <- env[[n]] }
}
edges <- list()
misplaced <- character(0)
for (n in names(defs)) {
  from <- owner[[n]]
  used <- intersect(codetools::findGlobals(defs[[n]], merge = TRUE), names(owner))
  for (u in used) {
    to <- owner[[u]]
    if (startsWith(u, "sclm_") && from != "engine.R" && from != "RcppExports.R") misplaced <- c(misplaced, sprintf("%s (%s) calls %s", n, from, u))
    if (to != from) edges[[length(edges) + 1L]] <- c(from, to)
  }
}
edges <- unique(do.call(rbind, edges))
nodes <- sort(unique(basename(files)))
# Layers by repeated removal of files that call no remaining file (Kahn's algorithm).
layer <- stats::setNames(rep(NA_integer_, length(nodes)), nodes)
remaining <- edges
level <- 0L
while (anyNA(layer)) {
  open <- names(layer)[is.na(layer)]
  ready <- setdiff(open, remaining[remaining[, 1] %in% open, 1])
  if (!length(ready)) break
  layer[ready] <- level
  remaining <- remaining[!remaining[, 2] %in% ready, , drop = FALSE]
  level <- level + 1L
}
cat("edges (caller -> callee):\n")
for (f in nodes) {
  callees <- sort(edges[edges[, 1] == f, 2])
  cat(sprintf("  %-26s [level %s] -> %s\n", f, layer[[f]], if (length(callees)) paste(callees, collapse = ", ") else "-"))
}
ok <- TRUE
if (anyNA(layer)) {
  cat("CYCLE among:", paste(names(layer)[is.na(layer)], collapse = ", "), "\n"); ok <- FALSE
} else cat(sprintf("no cycles: %d files, %d edges, %d levels\n", length(nodes), nrow(edges), max(layer) + 1L))
if (length(misplaced)) { cat("compiled code called outside engine.R:\n", paste0("  ", misplaced, "\n")); ok <- FALSE } else
  cat("compiled exports (sclm_*) are called from engine.R only\n")
if (!ok) quit(status = 1)
