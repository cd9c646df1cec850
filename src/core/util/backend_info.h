// What hosts learn about the backend, and how a user interrupt leaves the core. Torch-free.
#pragma once

#include <exception>
#include <string>
#include <vector>

namespace sclm {

struct BackendInfo {
  std::string torch_version;
  bool cuda_available = false;
  int cuda_device_count = 0;
  int num_threads = 0;
  std::string blas_kernel, blas_kernel_for_runs;  // util/blas_kernel.h ("" without OpenBLAS)
};
BackendInfo backend_info();

// Torch warnings raised during the last calls, oldest first; the buffer is emptied.
std::vector<std::string> take_torch_warnings();

// Thrown when a callback reports a user interrupt outside training.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted by the user"; }
};

}  // namespace sclm
