#' The compute backend scLM was built with
#'
#' Reports the LibTorch version, whether CUDA is available, the number of CUDA devices and
#' LibTorch's current number of CPU threads.
#'
#' @return A list with `torch_version`, `cuda_available`, `cuda_device_count`, `num_threads`.
#' @examples
#' scLM_backend()
#' @export
scLM_backend <- function() {
  engine_backend_info()
}
