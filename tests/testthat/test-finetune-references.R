# finetune(x = list(...)): one model on several references, each with its labels.
references_case <- local({
  cached <- NULL
  function() {
    if (is.null(cached)) {
      p <- pbmc3k(); s <- small_split()
      train <- s$train
      a <- train[seq(1, length(train), by = 2)]
      b <- train[seq(2, length(train), by = 2)]
      cached <<- list(a = p$counts[, a], labels_a = p$cell_type[a], b = p$counts[, b], labels_b = p$cell_type[b],
                      query = p$counts[, s$test[1:300]], truth = p$cell_type[s$test[1:300]])
    }
    cached
  }
})
references_config <- function() sctrans_config(n_features = 400, scales = c(32, 64), dim = 32)
fit_references <- function(x, labels, epochs = 6, ...) {
  finetune(references_config(), x, labels, epochs = epochs, n_models = 1, seed = 2, verbose = FALSE, ...)
}

test_that("references of the same genes train one model on all their cells, their classes joined", {
  d <- references_case()
  # The second reference lacks the B cells and the first the NK cells: the model knows both.
  no_b <- d$labels_b != "B"
  no_nk <- d$labels_a != "NK"
  model <- fit_references(list(first = d$a[, no_nk], d$b[, no_b]), list(d$labels_a[no_nk], d$labels_b[no_b]))
  expect_setequal(model$labels, union(d$labels_a, d$labels_b))
  expect_identical(model$labels, sort(unique(c(d$labels_a, d$labels_b)), method = "radix"))
  expect_identical(model$training$references,
                   data.frame(reference = c("first", "x[[2]]"), cells = c(sum(no_nk), sum(no_b)), genes = nrow(d$a)))
  expect_identical(as.vector(model$training$class_counts[model$labels]),
                   as.vector(table(factor(c(d$labels_a[no_nk], d$labels_b[no_b]), levels = model$labels))))
  # Gene levels and the unknown-type calibration come from both references' cells.
  expect_identical(model$gene_levels$n, as.vector(model$training$class_counts[model$labels]))
  expect_false(is.null(model$unknown$cutoff$knn))
  res <- annotate_cells(model, d$query, verbose = FALSE)
  expect_gt(mean(res$labels == d$truth), 0.6)
  expect_gt(mean(res$labels[d$truth == "B"] == "B"), 0.6)
  expect_gt(mean(res$labels[d$truth == "NK"] == "NK"), 0.5)
  # deterministic with its seed
  again <- fit_references(list(first = d$a[, no_nk], d$b[, no_b]), list(d$labels_a[no_nk], d$labels_b[no_b]))
  expect_identical(again$weights, model$weights)
  # a list of one reference is that reference
  expect_identical(fit_references(list(d$a), list(d$labels_a))$weights, fit_references(d$a, d$labels_a)$weights)
})

test_that("references of different genes train on the genes all of them hold, each cell at its total over them", {
  d <- references_case()
  panel <- rownames(d$b)[seq(1, nrow(d$b), by = 2)]
  expect_message(model <- finetune(references_config(), list(d$a, d$b[panel, ]), list(d$labels_a, d$labels_b),
                                   epochs = 6, n_models = 1, seed = 2),
                 "reads the 6857 genes all 2 references hold")
  expect_true(all(model$features %in% panel))
  expect_identical(names(model$reference_shares), panel)
  # The first reference's cells are read as they would be cut to the panel: the same model.
  cut <- fit_references(list(d$a[panel, ], d$b[panel, ]), list(d$labels_a, d$labels_b))
  expect_identical(model$features, cut$features)
  expect_identical(model$weights, cut$weights)
  # A query of all genes is read over the panel's genes, as the references were.
  expect_identical(annotate_cells(model, d$query, verbose = FALSE)$labels,
                   annotate_cells(model, d$query[panel, ], verbose = FALSE)$labels)
  # A given vocabulary (a model's) keeps its genes; the model learns only those all references hold.
  whole <- fit_references(d$a, d$labels_a, epochs = 1)
  expect_false(all(whole$features %in% panel))
  from_whole <- finetune(whole, list(d$a, d$b[panel, ]), list(d$labels_a, d$labels_b), epochs = 1, n_models = 1,
                         seed = 2, verbose = FALSE)
  expect_identical(from_whole$features, whole$features)
  expect_identical(from_whole$reference_features, intersect(whole$features, panel))
})

test_that("labels can name one metadata column of every reference", {
  skip_if_no_sce()
  d <- references_case()
  sce <- function(counts, labels) {
    SingleCellExperiment::SingleCellExperiment(list(counts = counts), colData = S4Vectors::DataFrame(cell_type = labels))
  }
  model <- fit_references(list(sce(d$a, d$labels_a), sce(d$b, d$labels_b)), "cell_type", epochs = 2)
  expect_identical(model$weights, fit_references(list(d$a, d$b), list(d$labels_a, d$labels_b), epochs = 2)$weights)
  expect_error(fit_references(list(sce(d$a, d$labels_a), d$b), "cell_type", epochs = 2),
               "labels\\[\\[2\\]\\].*x\\[\\[2\\]\\].*no cell metadata")
})

test_that("finetune(query = ) adapts a model of several references", {
  d <- references_case()
  model <- fit_references(list(d$a, d$b), list(d$labels_a, d$labels_b), query = d$query, query_confidence = 0.5,
                          class_sampling = 0)
  expect_gt(model$training$query_cells, 0L)
  expect_identical(nrow(model$training$references), 2L)
  expect_gt(mean(annotate_cells(model, d$query, verbose = FALSE)$labels == d$truth), 0.6)
})

test_that("bad references give clear errors naming the argument", {
  d <- references_case()
  expect_error(fit_references(list(d$a, d$b), d$labels_a), "labels.*one entry per reference")
  expect_error(fit_references(list(d$a, d$b), list(d$labels_a)), "labels.*one entry per reference")
  expect_error(fit_references(list(d$a, d$b), list(d$labels_a, d$labels_b[-1])), "labels\\[\\[2\\]\\].*x\\[\\[2\\]\\]")
  expect_error(fit_references(list(d$a, d$b), list(d$labels_a, replace(d$labels_b, 1, NA))), "labels\\[\\[2\\]\\].*NA")
  expect_error(fit_references(list(d$a, d$b[1:50, ]), list(d$labels_a, d$labels_b)), "share 50 genes.*100 or more")
  atac <- granja_atac()
  expect_error(finetune(x = list(d$a, atac$counts), labels = list(d$labels_a, atac$cell_type), verbose = FALSE),
               "mix scATAC peaks.*x\\[\\[2\\]\\].*genes.*x\\[\\[1\\]\\]")
  expect_error(fit_references(list(), list()), "empty list")
  # every reference holding one class is fine while they hold two together
  b_cells <- d$labels_a == "B"
  nk <- d$labels_b == "NK"
  expect_setequal(fit_references(list(d$a[, b_cells], d$b[, nk]), list(d$labels_a[b_cells], d$labels_b[nk]), epochs = 1)$labels,
                  c("B", "NK"))
})

test_that("scATAC references of different peaks train one model on the islands of both", {
  a <- granja_atac()
  first <- seq(1, ncol(a$counts), by = 2)
  second <- seq(2, ncol(a$counts), by = 2)
  shifted <- a$counts[, second]
  rownames(shifted) <- shifted_peaks(rownames(shifted))  # the second reference's peaks called anew
  model <- finetune(annatac_config(n_layers = 1), list(a$counts[, first], shifted),
                    list(a$cell_type[first], a$cell_type[second]), epochs = 3, seed = 1, verbose = FALSE)
  expect_identical(model$training$references$cells, c(length(first), length(second)))
  expect_identical(model$gene_levels, NULL)
  held_out <- annotate_cells(model, a$counts[, atac_test_cells()], verbose = FALSE)
  expect_gt(mean(held_out$labels == a$cell_type[atac_test_cells()]), 1 / length(unique(a$cell_type)))
})
