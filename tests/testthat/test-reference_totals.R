test_that("reference_shares() is each gene's mean share of its cell's counts; sources of the same genes pool their cells", {
  p <- pbmc3k()$counts
  a <- p[1:3000, 1:40]
  b <- p[1:3000, 41:90]
  shares <- scLM:::reference_shares(list(scLM:::cell_source(a), scLM:::cell_source(b)))
  # Pure R: every cell's shares, averaged over the cells.
  cell_shares <- function(m) sweep(as.matrix(m), 2L, Matrix::colSums(m), "/")
  expect_identical(names(shares), rownames(a))
  expect_equal(shares, rowMeans(cbind(cell_shares(a), cell_shares(b))), tolerance = 1e-12)
  expect_equal(sum(shares), 1, tolerance = 1e-12)
})

test_that("reference_shares() puts sources of different genes on one scale", {
  # Cells of one profile at six depths: any gene set holds the same share of each cell's counts.
  set.seed(2)
  profile <- stats::rpois(400, 5) + 1
  whole <- Matrix::Matrix(outer(profile, 1:6), sparse = TRUE, dimnames = list(paste0("G", 1:400), paste0("c", 1:6)))
  a <- whole[1:300, 1:3]    # the first source lacks the last 100 genes,
  b <- whole[101:400, 4:6]  # the second the first 100
  shares <- scLM:::reference_shares(list(scLM:::cell_source(a), scLM:::cell_source(b)))
  expect_identical(names(shares), rownames(whole))
  expect_equal(shares, stats::setNames(profile / sum(profile), rownames(whole)), tolerance = 1e-10)
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
