// OpenBLAS's kernels while scLM runs. OpenBLAS 0.3.21 (Debian 12's) does not know some recent
// Intel CPUs (such as Emerald Rapids) and falls back to its SSE3 kernels ("Prescott") on them,
// which made annotation 1.6-2 times slower here (bench/blas_kernel.R). LibTorch's CPU matrix
// products go through OpenBLAS, so while a scope is alive the library's own kernels for the CPU's
// instruction set (AVX-512: "SkylakeX", AVX2: "Haswell") are used, and the previous ones are
// restored after it: R's own BLAS calls outside scLM stay as they were. Nothing changes when
// OPENBLAS_CORETYPE is set, when OpenBLAS chose another kernel, or when the BLAS is not a dynamic
// OpenBLAS. Torch-free.
#pragma once

#include <string>

namespace sclm {

// The kernel set OpenBLAS uses now ("" when the BLAS is not a dynamic OpenBLAS).
std::string blas_kernel();

// The kernel set scLM's runs use: blas_kernel(), or the one a BlasKernelScope switches to.
std::string blas_kernel_for_runs();

// While alive, OpenBLAS uses blas_kernel_for_runs(). Scopes nest (restored in reverse order);
// create them on the thread that calls into the core, outside any parallel region.
class BlasKernelScope {
 public:
  BlasKernelScope();
  ~BlasKernelScope();
  BlasKernelScope(const BlasKernelScope&) = delete;
  BlasKernelScope& operator=(const BlasKernelScope&) = delete;

 private:
  void* previous_ = nullptr;
  bool switched_ = false;
};

}  // namespace sclm
