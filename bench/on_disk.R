# Helpers of the on-disk benchmarks (out_of_core.R, atac_scale.R disk).

# A 10x HDF5 file (the layout HDF5Array::TENxMatrix reads) of the cells of dgCMatrix `m` repeated
# to n_cells, written one replica at a time; kept when `file` exists. (HDF5Array::writeTENxMatrix
# fails with this Debian HDF5Array / rhdf5 pair: "Argument not of class H5IdComponent".)
write_tenx <- function(m, n_cells, file) {
  if (file.exists(file)) return(file)
  t0 <- proc.time()[["elapsed"]]
  columns <- rep_len(seq_len(ncol(m)), n_cells)
  indptr <- c(0, cumsum(as.numeric(diff(m@p))[columns]))
  rhdf5::h5createFile(file)
  rhdf5::h5createGroup(file, "matrix")
  for (name in c("data", "indices")) {
    rhdf5::h5createDataset(file, file.path("matrix", name), dims = indptr[n_cells + 1], storage.mode = "integer",
                           chunk = 2^20, level = 1)
  }
  for (k in seq(0, n_cells - 1, by = ncol(m))) {
    last <- min(ncol(m), n_cells - k)
    n <- m@p[last + 1]
    at <- indptr[k + 1] + 1
    rhdf5::h5write(as.integer(m@x[seq_len(n)]), file, "matrix/data", start = at, count = n)
    rhdf5::h5write(m@i[seq_len(n)], file, "matrix/indices", start = at, count = n)
  }
  rhdf5::h5write(indptr, file, "matrix/indptr")
  rhdf5::h5write(c(nrow(m), n_cells), file, "matrix/shape")
  rhdf5::h5write(paste0("cell", seq_len(n_cells)), file, "matrix/barcodes")
  rhdf5::h5write(rownames(m), file, "matrix/genes")
  rhdf5::h5closeAll()
  cat(sprintf("wrote %s (%.0f MB) in %.0fs\n", basename(file), file.size(file) / 2^20, proc.time()[["elapsed"]] - t0))
  file
}

# One run of `task` (R lines that set `n`, the cells handled) after `setup` in a fresh R process
# with scLM and HDF5Array loaded: seconds, cells/s and the process's peak resident memory (VmHWM).
measure_fresh <- function(label, setup, task) {
  script <- tempfile(fileext = ".R")
  writeLines(c("suppressPackageStartupMessages({library(scLM); library(HDF5Array)})", setup,
               "t0 <- proc.time()[['elapsed']]",
               task,
               "s <- proc.time()[['elapsed']] - t0",
               "hwm <- as.numeric(sub('kB', '', sub('VmHWM:', '', grep('VmHWM', readLines('/proc/self/status'), value = TRUE)))) / 1024",
               "cat(sprintf('%d\\t%.1f\\t%.0f\\t%.0f\\n', n, s, n / s, hwm))"), script)
  out <- system2("Rscript", script, stdout = TRUE)
  v <- strsplit(utils::tail(out, 1), "\t")[[1]]
  row <- data.frame(input = label, cells = as.integer(v[1]), seconds = as.numeric(v[2]),
                    cells_per_second = as.numeric(v[3]), peak_rss_mb = as.numeric(v[4]))
  print(row)
  row
}
