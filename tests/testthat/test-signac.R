# Signac objects (a Seurat object with a ChromatinAssay; R/host_seurat.R): peaks read through
# their ranges, fragments untouched, results back into the object, island ranges Signac takes.

skip_if_no_signac <- function() {
  skip_on_cran()
  skip_if_not_installed("Signac")
}

peak_object <- function(counts, fragments = NULL) {
  assay <- Signac::CreateChromatinAssay(counts, sep = c("-", "-"), fragments = fragments)
  SeuratObject::CreateSeuratObject(assay, assay = "peaks")
}

# A bgzipped, tabix-indexed fragment file of two fragments per cell and its Signac Fragment object.
fragment_file <- function(cells) {
  file <- tempfile(fileext = ".tsv")
  n <- 2L * length(cells)
  utils::write.table(data.frame("chr1", seq(10000L, by = 500L, length.out = n), seq(10200L, by = 500L, length.out = n),
                                rep(cells, 2L), 1L), file, sep = "\t", quote = FALSE, row.names = FALSE, col.names = FALSE)
  bgz <- Rsamtools::bgzip(file, overwrite = TRUE)
  Rsamtools::indexTabix(bgz, format = "bed")
  list(path = bgz, fragments = Signac::CreateFragmentObject(bgz, cells = cells, validate.fragments = FALSE, verbose = FALSE))
}

test_that("peaks are mapped through the ChromatinAssay's ranges, not its feature names", {
  skip_if_no_signac()
  a <- granja_atac(); model <- atac_model(); m <- a$counts[, atac_test_cells()[1:40]]
  obj <- peak_object(m)
  # Ranges moved by half an island (as another genome build would), names unchanged.
  moved <- obj
  moved[["peaks"]] <- SeuratObject::SetAssayData(moved[["peaks"]], layer = "ranges",
                                                 new.data = GenomicRanges::shift(Signac::granges(obj[["peaks"]]), 2500L))
  expect_identical(rownames(moved), rownames(obj))
  renamed <- m
  rownames(renamed) <- shifted_peaks(rownames(m), 2500L)
  # Half of the peaks land in other islands, so the overlap warning comes from the ranges too.
  expect_warning(out <- annotate_cells(model, moved, verbose = FALSE), "of the model islands are in the data")
  expect_warning(by_name <- annotate_cells(model, renamed, verbose = FALSE), "of the model islands are in the data")
  expect_equal(unname(out$scLM_max.prob), by_name$max.prob, tolerance = 1e-6)
  expect_false(isTRUE(all.equal(unname(out$scLM_max.prob), annotate_cells(model, m, verbose = FALSE)$max.prob)))
})

test_that("results go back into the Signac object; its peaks and fragments stay as they were", {
  skip_if_no_signac()
  skip_if_not_installed("Rsamtools")
  a <- granja_atac(); model <- atac_model(); cells <- atac_test_cells()[1:40]
  m <- a$counts[, cells]
  fragments <- fragment_file(colnames(m))
  md5 <- tools::md5sum(fragments$path)
  obj <- peak_object(m, fragments$fragments)
  out <- annotate_cells(model, obj, verbose = FALSE)
  out <- embed_cells(model, out, verbose = FALSE)
  expect_identical(Signac::Fragments(out), Signac::Fragments(obj))
  expect_identical(unname(tools::md5sum(fragments$path)), unname(md5))
  expect_identical(Signac::granges(out[["peaks"]]), Signac::granges(obj[["peaks"]]))
  expect_identical(SeuratObject::LayerData(out, assay = "peaks", layer = "counts"), SeuratObject::LayerData(obj, assay = "peaks", layer = "counts"))
  expect_identical(unname(out$scLM_labels), annotate_cells(model, m, verbose = FALSE)$labels)
  expect_true("scLM_prob" %in% SeuratObject::Assays(out))
  expect_s4_class(out[["scLM"]], "DimReduc")
  expect_identical(as.character(rownames(SeuratObject::Embeddings(out, "scLM"))), colnames(obj))
  # The islands attention ranks highest, as GRanges that Signac reads (and names) as it names peaks.
  scores <- attention_scores(model, obj, group_by = a$cell_type[cells], verbose = FALSE)
  top <- rownames(scores)[order(scores[, 1], decreasing = TRUE)[1:5]]
  expect_identical(suppressWarnings(Signac::GRangesToString(feature_ranges(model, top))), top)  # deprecated in 1.17, still the way
})

test_that("a Signac object of the 10,335 Granja D6T1 cells trains and annotates in cell order", {
  skip_if_no_signac()
  d <- shared_dataset("atac_granja2019_bmmc_d6t1")
  obj <- peak_object(d$counts)
  obj$cell_type <- d$cell_type
  # Up to 80 cells of each of the 16 types (1,072 cells): a quick model; the full set is bench/atac_scale.R.
  train <- sort(unlist(lapply(split(seq_len(ncol(obj)), d$cell_type), utils::head, 80L)))
  model <- finetune(sctrans_config(modality = "atac", n_features = 5000, scales = c(128, 256), dim = 32), obj[, train],
                    labels = "cell_type", epochs = 3, n_models = 1, seed = 1, verbose = FALSE)
  out <- annotate_cells(model, obj, verbose = FALSE)
  expect_identical(colnames(out), colnames(obj))
  expect_identical(unname(out$scLM_labels), annotate_cells(model, d$counts, verbose = FALSE)$labels)
  held_out <- setdiff(seq_len(ncol(obj)), train)
  # Measured 0.35 after 3 epochs; the largest type is a fifth of the cells.
  expect_gt(mean(out$scLM_labels[held_out] == d$cell_type[held_out]), 0.25)
})
