#' The compute backend scLM was built with
#'
#' Reports the LibTorch version, whether CUDA is available, the number of CUDA devices,
#' LibTorch's current number of CPU threads, and OpenBLAS's kernels. OpenBLAS 0.3.21 (Debian 12)
#' does not know some recent Intel CPUs (such as Emerald Rapids) and runs its SSE3 kernels
#' (`"Prescott"`) on them. While scLM trains or annotates, it switches OpenBLAS to the kernels of
#' the CPU's instruction set (`"SkylakeX"` for AVX-512, `"Haswell"` for AVX2) and back afterwards,
#' so R's own matrix products are left as they were. On such a CPU this made annotation 1.6-2
#' times and training 1.25-1.7 times faster (`bench/blas_kernel.R`). Setting `OPENBLAS_CORETYPE`
#' before R starts chooses the kernels for the whole session, and scLM then leaves them alone.
#'
#' @return A list with `torch_version`, `cuda_available`, `cuda_device_count`, `num_threads`,
#'   `blas_kernel` (OpenBLAS's kernels in the session; `""` when the BLAS is not OpenBLAS) and
#'   `blas_kernel_for_runs` (those scLM's training and annotation use).
#' @examples
#' scLM_backend()
#' @export
scLM_backend <- function() {
  engine_backend_info()
}
