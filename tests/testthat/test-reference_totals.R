test_that("reference_shares() is each gene's mean share of its cell's counts, over the union of the sources' genes", {
  p <- pbmc3k()$counts
  a <- p[1:3000, 1:40]
  b <- p[2001:5000, 41:90]
  shares <- scLM:::reference_shares(list(scLM:::cell_source(a), scLM:::cell_source(b)))
  # Pure R: every cell's shares, 0 for the genes its source lacks, averaged over the cells.
  genes <- union(rownames(a), rownames(b))
  cell_shares <- function(m) {
    full <- matrix(0, length(genes), ncol(m), dimnames = list(genes, NULL))
    full[rownames(m), ] <- as.matrix(m)
    sweep(full, 2L, colSums(full), "/")
  }
  expected <- rowMeans(cbind(cell_shares(a), cell_shares(b)))
  expect_identical(names(shares), genes)
  expect_equal(shares, expected, tolerance = 1e-12)
  expect_equal(sum(shares), 1, tolerance = 1e-12)
})

test_that("a query's genes outside the reference's leave its cells' totals and results as they were", {
  model <- sctrans_model()
  expect_identical(names(model$reference_shares), rownames(pbmc3k()$counts))
  q <- query_counts(80)
  # More genes, with counts, that the reference never had, in the middle of the query's rows.
  set.seed(3)
  extra <- Matrix::rsparsematrix(500, ncol(q), 0.2, rand.x = function(n) stats::rpois(n, 3) + 1)
  rownames(extra) <- paste0("NOT-A-REFERENCE-GENE-", seq_len(500))
  wide <- rbind(q[1:5000, ], extra, q[5001:nrow(q), ])
  colnames(wide) <- colnames(q)
  expect_equal(annotate_cells(model, wide, verbose = FALSE)$probabilities,
               annotate_cells(model, q, verbose = FALSE)$probabilities, tolerance = 1e-6)
  # A model without the reference's shares (saved before them) reads each cell's own total.
  before <- model
  before$reference_shares <- NULL
  expect_false(isTRUE(all.equal(annotate_cells(before, wide, verbose = FALSE)$probabilities,
                                annotate_cells(before, q, verbose = FALSE)$probabilities, tolerance = 1e-3)))
})

test_that("a query lacking reference genes is read at the total its cells would have had over them", {
  model <- sctrans_model()
  q <- query_counts(80)
  # A panel: the model's vocabulary genes alone.
  panel <- q[rownames(q) %in% model$features, ]
  mapping <- scLM:::map_query(model$config, panel, scLM:::cell_source(panel), NULL, 0.25, FALSE)
  mapping <- scLM:::with_reference_totals(mapping, model$reference_shares, rownames(panel))
  held <- sum(model$reference_shares[rownames(panel)])
  expect_equal(mapping$missing, (1 - held) / held, tolerance = 1e-12)
  block <- scLM:::read_rows(mapping, panel)
  own <- Matrix::colSums(panel)
  expect_identical(Matrix::colSums(block$counts), own + round(own * mapping$missing))
  # The panel's cells are read closer to the whole cells than at their own totals.
  whole <- annotate_cells(model, q, verbose = FALSE)$probabilities
  before <- model
  before$reference_shares <- NULL
  gap <- function(m) mean(abs(annotate_cells(m, panel, verbose = FALSE)$probabilities - whole))
  expect_lt(gap(model), gap(before) / 2)
  expect_message(annotate_cells(model, panel), "totals scaled up to all")
  expect_no_message(annotate_cells(model, q), message = "Totals")  # the reference's genes: nothing to say
})
