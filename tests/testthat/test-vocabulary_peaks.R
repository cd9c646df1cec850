# Peak parsing, peak islands and mapping by overlap, against a slow pure-R reference on real peaks.

# The reference: island k of a chromosome covers k * size .. (k + 1) * size - 1; a peak belongs to
# every island it overlaps; an island's value is the ceiling of the mean count of its peaks.
reference_islands <- function(counts, size = 5000) {
  parts <- do.call(rbind, strsplit(sub(":", "-", rownames(counts)), "-"))
  chrom <- parts[, 1]; start <- as.numeric(parts[, 2]); end <- as.numeric(parts[, 3])
  member <- do.call(rbind, lapply(seq_along(chrom), function(p) {
    bins <- seq(start[p] %/% size, end[p] %/% size)
    data.frame(peak = p, island = paste0(chrom[p], "-", bins * size, "-", (bins + 1) * size - 1))
  }))
  islands <- unique(member$island)
  out <- matrix(0, length(islands), ncol(counts), dimnames = list(islands, colnames(counts)))
  dense <- as.matrix(counts)
  for (k in seq_along(islands)) {
    peaks <- member$peak[member$island == islands[k]]
    out[k, ] <- ceiling(colSums(dense[peaks, , drop = FALSE]) / length(peaks))
  }
  out
}

real_peaks <- function() {
  a <- granja_atac()
  parts <- do.call(rbind, strsplit(rownames(a$counts), "-"))
  start <- as.numeric(parts[, 2]); end <- as.numeric(parts[, 3])
  edge <- which(start %/% 5000 != end %/% 5000)        # peaks crossing an island edge
  sex <- which(parts[, 1] %in% c("chrX", "chrY"))
  rows <- unique(c(edge[1:30], sex[1:20], seq(1, nrow(a$counts), by = 50)))
  m <- a$counts[rows, 1:80]
  # a second peak inside the island of the first few, so islands average several peaks
  extra <- m[1:5, ]
  p <- do.call(rbind, strsplit(rownames(extra), "-"))
  rownames(extra) <- paste0(p[, 1], "-", as.numeric(p[, 2]) + 700, "-", as.numeric(p[, 3]) + 700)
  m <- rbind(m, extra)
  rownames(m)[seq(2, nrow(m), by = 3)] <- sub("^(chr[^-]+)-", "\\1:", rownames(m)[seq(2, nrow(m), by = 3)])
  list(counts = m[rev(seq_len(nrow(m))), ], n_edge = sum(rows %in% edge), n_sex = sum(parts[rows, 1] %in% c("chrX", "chrY")))
}

test_that("island values match the pure-R reference on real peaks (edges, unsorted, chrX/chrY, chr:start-end)", {
  p <- real_peaks()
  expect_gt(p$n_sex, 0)
  expect_gt(p$n_edge, 0)
  m <- p$counts
  ranges <- scLM:::peak_ranges(m, rownames(m))
  islands <- as.data.frame(scLM:::sclm_peak_islands(ranges$chrom, ranges$start, ranges$end, 5000))
  names <- scLM:::island_names(islands, 5000)
  map <- scLM:::sclm_map_peaks(ranges$chrom, ranges$start, ranges$end, islands$chrom, islands$bin, 5000)
  got <- scLM:::engine_island_counts(m, map, names)
  ref <- reference_islands(m)
  expect_setequal(rownames(got), rownames(ref))
  expect_equal(as.matrix(got)[rownames(ref), ], ref)
  expect_gt(max(ref), 1)  # some islands average several peaks or counts above 1
})

test_that("a query's peaks meet the model's islands by overlap, not by name", {
  a <- granja_atac()
  model <- atac_model()
  q <- a$counts[, atac_test_cells()]
  shifted <- q
  rownames(shifted) <- shifted_peaks(rownames(q), 100L, sep = ":")  # re-called peaks, 10x-style names
  expect_false(any(rownames(shifted) %in% rownames(q)))
  same <- annotate_cells(model, q, verbose = FALSE)
  moved <- annotate_cells(model, shifted, verbose = FALSE)
  report <- S4Vectors::metadata(moved)$feature_mapping
  expect_s3_class(report, "scLM_feature_report")
  expect_gt(report$n_matched / report$n_model, 0.95)
  expect_gt(mean(same$labels == moved$labels), 0.9)
  expect_output(print(report), "model islands matched")
})

test_that("malformed peak names are clear errors naming the rows", {
  model <- atac_model()
  q <- granja_atac()$counts[1:50, 1:5]
  rownames(q)[c(3, 7)] <- c("CD3E", "chr1-500-100")
  expect_error(annotate_cells(model, q, verbose = FALSE), "2 row names that are not peak names.*CD3E.*rows 3 and 7")
  expect_error(annotate_cells(model, q, verbose = FALSE), "chr1-10000-10500")
  rownames(q) <- paste0("1-", seq_len(50) * 1000, "-", seq_len(50) * 1000 + 500)  # no "chr": no overlap
  expect_error(annotate_cells(model, q, verbose = FALSE), "genome build and chromosome names")
  expect_error(scLMConfig(modality = "atac", features = c(paste0("chr1-", 0:9 * 5000, "-", 0:9 * 5000 + 4999), "chr1-3-9")),
               "peak islands")
  expect_error(scLMConfig(tss = data.frame(chrom = "chr1", position = 1)), "scATAC")
})

test_that("the TSS mode keeps only islands holding a TSS", {
  a <- granja_atac()
  ranges <- scLM:::peak_ranges(a$counts, rownames(a$counts))
  # TSS positions at the midpoints of 40 real peaks (chr-prefixed names, as the peaks)
  picks <- seq(1, nrow(ranges), length.out = 40)
  tss <- data.frame(chrom = ranges$chrom[picks], position = (ranges$start[picks] + ranges$end[picks]) %/% 2)
  cfg <- annatac_config(tss = tss)
  expect_output(print(cfg), "with a TSS")
  vocab <- scLM:::select_islands(list(scLM:::new_cell_source(a$counts)), list(ranges), cfg)
  expected <- unique(paste0(tss$chrom, "-", tss$position %/% 5000 * 5000, "-", tss$position %/% 5000 * 5000 + 4999))
  # every kept island holds a TSS; islands of peaks never open in any cell are dropped
  expect_true(all(vocab %in% expected))
  expect_gt(length(vocab), 30)
  gtf <- tempfile(fileext = ".gtf")
  writeLines(sprintf("%s\ttest\ttranscript\t%d\t%d\t.\t+\t.\tgene_id \"g%d\";", tss$chrom, tss$position,
                     tss$position + 1000, seq_len(nrow(tss))), gtf)
  expect_identical(scLM:::tss_positions(gtf)$position, tss$position)
  expect_error(annatac_config(tss = "no/such.gtf"), "does not exist")
  expect_error(annatac_config(tss = 1:3), "GRanges")
})
