#' Data-parallel training over several processes
#'
#' Settings for training one model with several R processes at once, on one machine or many,
#' as `torchrun` launches PyTorch: every process runs the same script with the same data and
#' seed; scLM connects them through torch's c10d process groups (Gloo on CPUs; NCCL on GPUs in
#' builds against a CUDA LibTorch with NCCL, each process on its own GPU: `cuda:LOCAL_RANK`, else
#' the rank modulo the GPUs), each process computes
#' its share of every batch (`batch_size` is the global batch, split across processes), and
#' the averaged gradients keep all processes' weights identical. By default the settings come
#' from the environment variables `torchrun` sets: `RANK`, `WORLD_SIZE`, `MASTER_ADDR`,
#' `MASTER_PORT`; without them training runs in one process.
#'
#' Launch on one machine, e.g. two processes of one thread each:
#' ```
#' for r in 0 1; do RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=29500 \
#'   Rscript train.R & done; wait
#' ```
#' where `train.R` calls `finetune(..., num_threads = 1)` (or [pretrain()]) and saves the
#' model when `distributed_config()$rank == 0`. On several machines, `MASTER_ADDR` is the
#' address of the machine running rank 0, reachable from the others on `MASTER_PORT`, and
#' `GLOO_SOCKET_IFNAME` names the network interface to use if the host name does not resolve
#' to it. Only rank 0 writes `checkpoint`; for `resume = TRUE` every process must be able to
#' read it (a shared file system).
#'
#' With `dropout = 0` and `token_dropout = 0` (no per-process randomness) and without class
#' weights, a data-parallel run gives the model a single process trains with the same global
#' batch, up to floating-point rounding (tested with 2 processes). Otherwise each process draws
#' its own dropout and masks: the same training, not the same numbers. The contrastive term of
#' [pretrain()] compares cells within each process's share of a batch.
#'
#' @param rank This process's number, 0 to `world_size - 1`.
#' @param world_size Number of processes (1: no data parallelism).
#' @param master_addr,master_port Where rank 0 listens.
#' @param timeout Seconds to wait for the other processes (at start-up and at every step).
#' @return A list of class `scLM_distributed`, for the `distributed` argument of
#'   [finetune()] and [pretrain()].
#' @examples
#' distributed_config()                  # one process unless launched with RANK / WORLD_SIZE
#' distributed_config(rank = 1, world_size = 2, master_port = 29501)
#' @export
distributed_config <- function(rank = Sys.getenv("RANK", "0"), world_size = Sys.getenv("WORLD_SIZE", "1"),
                               master_addr = Sys.getenv("MASTER_ADDR", "127.0.0.1"),
                               master_port = Sys.getenv("MASTER_PORT", "29500"), timeout = 300) {
  as_whole <- function(x) suppressWarnings(as.numeric(x))
  world_size <- check_count(as_whole(world_size), 1L, 4096L, arg = "world_size")
  rank <- as_whole(rank)
  if (!isTRUE(rank == round(rank) && rank >= 0 && rank < world_size)) {
    cli::cli_abort(c("{.arg rank} must be a whole number from 0 to {world_size - 1} (world_size - 1).",
                     "i" = "Launch process k of n with {.envvar RANK}=k and {.envvar WORLD_SIZE}=n."))
  }
  structure(list(rank = as.integer(rank), world_size = world_size, master_addr = check_string(master_addr, "master_addr"),
                 master_port = check_count(as_whole(master_port), 1L, 65535L, arg = "master_port"),
                 timeout = check_number(timeout, 1, 86400, "timeout")),
            class = "scLM_distributed")
}

#' @export
print.scLM_distributed <- function(x, ...) {
  if (x$world_size == 1L) cat("<scLM_distributed> one process\n") else
    cat(sprintf("<scLM_distributed> rank %d of %d, rank 0 at %s:%d\n", x$rank, x$world_size, x$master_addr, x$master_port))
  invisible(x)
}

check_distributed <- function(x, call = parent.frame()) {
  if (!inherits(x, "scLM_distributed")) {
    cli::cli_abort("{.arg distributed} must come from {.fn distributed_config}.", call = call)
  }
  unclass(x)
}
