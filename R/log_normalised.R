# Log-normalised input (Seurat's `data` layer, SCE `logcounts`, log1p(CP10k) / log1p(CPM)
# matrices): scLM's tokenizers start from per-cell normalised values, so undoing the log gives
# them exactly what they would compute from the counts. The cell source decides once per input,
# on its first block, and applies the same inverse to every block.

# What the non-negative values of a dgCMatrix block are: list(kind = "counts") for raw counts, or
# list(kind = "log", base, total) for log(1 + normalised) values in `base` (exp(1), 2 or 10),
# whose per-cell totals are `total` (NA when they vary: a subset of the genes). Cells without
# counts (allowed in inference) do not count. `whole`: whether every value is a whole number.
value_scale <- function(m, arg = "x", call = parent.frame(), whole = all(m@x == round(m@x))) {
  values <- m@x
  if (whole || max(values) >= 25) return(list(kind = "counts"))
  # log(1 + y) values: y = base^x - 1. A full-transcriptome cell's y sum to the scale (1e4, 1e6, or
  # the mean library size for scuttle's size factors) in the right base only.
  bases <- c(exp(1), 2, 10)
  totals <- lapply(bases, function(b) {
    t <- Matrix::colSums(expm1_base(m, b))
    t[t > 0]
  })
  # (one cell is "constant" in every base: only a total of 10^4 or 10^6 then tells the base)
  constant <- vapply(totals, function(t) {
    max(t) / min(t) < 1.001 && (length(t) > 1L || any(abs(t / c(1e4, 1e6) - 1) < 1e-3))
  }, logical(1))
  if (any(constant)) {
    k <- which(constant)[1]
    return(list(kind = "log", base = bases[k], total = stats::median(totals[[k]])))
  }
  # A subset of the genes: natural log unless that makes some cell's genes add up to more than a
  # million per million (impossible), then the first base that does not.
  plausible <- vapply(totals, function(t) max(t) <= 1e6 * 1.001, logical(1))
  if (!any(plausible)) {
    cli::cli_abort(c("{.arg {arg}} has non-integer values that are neither counts nor log-normalised values scLM recognises.",
                     "i" = "Pass raw counts, or log1p of per-cell normalised values (Seurat's {.code layer = \"data\"}, SCE {.code assay = \"logcounts\"})."),
                   call = call)
  }
  list(kind = "log", base = bases[which(plausible)[1]], total = NA_real_)
}

expm1_base <- function(m, base) {
  m@x <- if (base == exp(1)) expm1(m@x) else expm1(m@x * log(base))
  m
}

# Applies the inverse of `scale` (from value_scale()) to a block.
undo_log <- function(m, scale) if (identical(scale$kind, "log")) expm1_base(m, scale$base) else m

value_scale_text <- function(scale) {
  base <- c("e" = exp(1), "2" = 2, "10" = 10)
  name <- names(base)[match(scale$base, base)]
  log <- if (name == "e") "log1p" else sprintf("log%s(1 + x)", name)
  per <- if (is.na(scale$total)) "normalised values of a subset of genes" else
    if (abs(scale$total - 1e4) < 1) "counts per 10,000" else if (abs(scale$total - 1e6) < 1) "counts per million" else
      sprintf("counts scaled to %s per cell", format(round(scale$total), big.mark = ",", scientific = FALSE))
  sprintf("%s of %s", log, per)
}
