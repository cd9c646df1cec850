test_that("distributed_config reads torchrun's environment and checks it", {
  old <- Sys.getenv(c("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"), unset = NA)
  on.exit({
    for (v in names(old)) if (is.na(old[[v]])) Sys.unsetenv(v) else do.call(Sys.setenv, as.list(old[v]))
  })
  Sys.unsetenv(names(old))
  expect_equal(distributed_config()$world_size, 1L)
  Sys.setenv(RANK = "1", WORLD_SIZE = "3", MASTER_ADDR = "10.0.0.5", MASTER_PORT = "29501")
  d <- distributed_config()
  expect_equal(unclass(d)[c("rank", "world_size", "master_addr", "master_port")],
               list(rank = 1L, world_size = 3L, master_addr = "10.0.0.5", master_port = 29501L))
  expect_output(print(d), "rank 1 of 3")
  expect_error(distributed_config(rank = 3, world_size = 3), "rank")
  expect_error(distributed_config(rank = "a"), "rank")
  expect_error(distributed_config(world_size = 0), "world_size")
  expect_error(distributed_config(master_port = 70000), "master_port")
  p <- pbmc3k()
  expect_error(finetune(tiny_config(), p$counts[, 1:50], p$cell_type[1:50], distributed = list(world_size = 2)),
               "distributed_config")
})

# Runs `train` (R code that leaves a model in `model`, reading data `d` from data_file) on two
# ranks with Gloo on loopback; returns the two saved models.
train_on_two_ranks <- function(data_file, train) {
  port <- 20000L + sample.int(20000L, 1L)
  dirs <- replicate(2, tempfile(), simplify = FALSE)
  for (rank in 0:1) {
    dir.create(dirs[[rank + 1]])
    start_rscript(dirs[[rank + 1]], c(
      sprintf("d <- readRDS('%s')", data_file),
      sprintf("model <- %s", train(sprintf("distributed_config(rank = %d, world_size = 2, master_port = %d, timeout = 120)", rank, port))),
      sprintf("save_model(model, '%s')", file.path(dirs[[rank + 1]], "model.scLM")),
      sprintf("writeLines('done', '%s')", file.path(dirs[[rank + 1]], "done"))))
  }
  expect_true(wait_for(file.path(dirs[[1]], "done"), 180) && wait_for(file.path(dirs[[2]], "done"), 60))
  lapply(file.path(unlist(dirs), "model.scLM"), load_model)
}

# Two R processes with Gloo on loopback train the model one process trains with the same global batch.
# Unweighted loss: with class weights each process normalises its loss by its own shard's weights,
# so the averaged gradient is close to, not equal to, one process's.
test_that("two processes on Gloo train the same model as one process", {
  skip_on_cran()
  p <- pbmc3k()
  cells <- small_split()$train[seq(1, 400, by = 2)]
  data_file <- tempfile(fileext = ".rds")
  saveRDS(list(counts = p$counts[, cells], labels = p$cell_type[cells]), data_file)
  config <- "scLMConfig(n_features = 300, max_tokens = 64, dim = 16, ff_dim = 32, dropout = 0)"
  train <- function(distributed) {
    sprintf("finetune(%s, d$counts, d$labels, epochs = 2, batch_size = 24, token_dropout = 0, class_weights = 'none', seed = 3,
             num_threads = 1, verbose = FALSE, distributed = %s)", config, distributed)
  }
  ranks <- train_on_two_ranks(data_file, train)
  d <- readRDS(data_file)
  single <- eval(parse(text = train("distributed_config(world_size = 1)")))
  query <- query_counts(100)
  probs <- lapply(c(list(single), ranks), function(m) annotate_cells(m, query, num_threads = 1, verbose = FALSE)$probabilities)
  expect_equal(probs[[2]], probs[[3]], tolerance = 1e-6)  # the processes agree
  expect_equal(probs[[2]], probs[[1]], tolerance = 1e-4)  # and equal one process
  expect_equal(ranks[[1]]$history$train_loss, single$history$train_loss, tolerance = 1e-4)
  expect_equal(ranks[[1]]$history$val_loss, single$history$val_loss, tolerance = 1e-4)
  expect_equal(ranks[[1]]$training$processes, 2L)
})

test_that("data-parallel pretraining keeps the processes' encoders identical", {
  skip_on_cran()
  data_file <- tempfile(fileext = ".rds")
  saveRDS(list(counts = pbmc3k()$counts[, 1:400]), data_file)
  ranks <- train_on_two_ranks(data_file, function(distributed) {
    sprintf("pretrain(d$counts, scLMConfig(n_features = 300, max_tokens = 64, dim = 16, ff_dim = 32), epochs = 2,
             num_threads = 1, verbose = FALSE, distributed = %s)", distributed)
  })
  expect_identical(ranks[[1]]$encoder_weights, ranks[[2]]$encoder_weights)
  losses <- c("train_loss", "train_accuracy", "val_loss", "val_accuracy")
  expect_identical(ranks[[1]]$history[losses], ranks[[2]]$history[losses])
  expect_equal(ranks[[1]]$training$processes, 2L)
})
