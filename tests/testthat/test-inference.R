# Inference shared by the inference verbs (R/inference.R): run settings, one feature mapping,
# the engine run block by block and the blocks joined in cell order.

test_that("inference maps features once and runs the engine block by block in cell order", {
  q <- query_counts(60)
  old <- options(scLM.block_cells = 25L)
  on.exit(options(old))
  source <- scLM:::cell_source(as.matrix(q))  # dense input: read in 3 blocks
  run <- scLM:::run_settings(256L, 1L, "cpu", "fp32")
  sizes <- integer(0)
  out <- scLM:::run_on_cells(small_model(), q, source, NULL, scLM:::engine_embed, small_model()$encoder_weights, run,
                             min_overlap = 0.25, verbose = FALSE,
                             per_block = function(result, counts, index) { sizes <<- c(sizes, ncol(counts)); result })
  expect_identical(sizes, c(25L, 25L, 10L))
  expect_identical(source$state$checks, 3L)
  expect_s3_class(out$mapping, "scLM_feature_report")
  expect_equal(out$result, embed_cells(small_model(), q, num_threads = 1, verbose = FALSE), tolerance = 1e-6,
               ignore_attr = TRUE)
  expect_error(scLM:::run_settings(0L, 1L, "cpu", "fp32"), "`batch_size` must be a whole number")
})

test_that("cells_with_features() agrees with a pure-R reference on real counts", {
  m <- query_counts(200)
  m[, 5] <- 0
  m <- Matrix::drop0(m)
  m@x[1:20] <- 0  # stored zeros do not count
  rows <- with_seed(3, runif(nrow(m)) < 0.05)
  reference <- Matrix::colSums(m[rows, , drop = FALSE] != 0) > 0
  expect_identical(cells_with_features(m, rows), unname(reference))
  expect_false(cells_with_features(m, rows)[5])
})

test_that("a Ctrl-C stops an annotation whose cells run side by side, and the session goes on", {
  skip_on_os("windows")
  skip_if(parallel::detectCores() < 2, "one core: the cells run in one range")
  dir <- tempfile("sclm-annotate-sigint-"); dir.create(dir)
  file <- function(name) file.path(dir, name)
  pid_file <- start_rscript(dir, c(
    "pbmc <- readRDS(system.file('extdata', 'pbmc3k.rds', package = 'scLM'))",
    "model <- finetune(sctrans_config(n_features = 300, scales = c(32L, 64L)), pbmc$counts[, 1:300], pbmc$cell_type[1:300],",
    "                  epochs = 1, n_models = 1, verbose = FALSE)",
    "big <- pbmc$counts[, rep_len(seq_len(ncol(pbmc$counts)), 40000)]",
    sprintf("writeLines('go', '%s')", file("started")),
    "r <- tryCatch(annotate_cells(model, big, num_threads = 2, verbose = FALSE), interrupt = function(e) 'interrupted')",
    sprintf("writeLines(format(Sys.time(), '%%OS3'), '%s')", file("stopped")),
    "after <- annotate_cells(model, pbmc$counts[, 1:50], num_threads = 2, verbose = FALSE)",
    sprintf("writeLines(c(if (identical(r, 'interrupted')) 'interrupted' else 'finished', nrow(after)), '%s')", file("done"))))
  expect_true(wait_for(pid_file, 60))
  pid <- as.integer(readLines(pid_file))
  on.exit(tools::pskill(pid, tools::SIGKILL), add = TRUE)
  expect_true(wait_for(file("started"), 120))
  Sys.sleep(stats::runif(1, 1, 3))
  sent <- Sys.time()
  tools::pskill(pid, tools::SIGINT)
  expect_true(wait_for(file("done"), 60))
  skip_if(readLines(file("done"))[1] == "finished", "the annotation finished before the interrupt")
  expect_identical(readLines(file("done")), c("interrupted", "50"))
  expect_lt(as.numeric(difftime(file.info(file("stopped"))$mtime, sent, units = "secs")), 3)
})
