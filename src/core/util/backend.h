// LibTorch plumbing shared by the core: devices, threads, seeds, warning capture, error mapping.
#pragma once

#include <torch/torch.h>

#include <new>
#include <stdexcept>
#include <string>

namespace sclm {

// "cpu", "cuda", "cuda:N" or "auto" (CUDA when available). Throws std::invalid_argument.
torch::Device resolve_device(const std::string& name);

// Applies num_threads (> 0) to LibTorch's intra-op pool and, once per process, keeps glibc
// from returning every large tensor buffer to the OS (see backend.cpp).
void configure_runtime(int num_threads);

// Collects torch warnings raised on this thread while alive; read them with take_torch_warnings().
class WarningCapture {
 public:
  WarningCapture();
  ~WarningCapture();
  WarningCapture(const WarningCapture&) = delete;
  WarningCapture& operator=(const WarningCapture&) = delete;

 private:
  void* previous_;
};

// Runs fn, turning torch errors into std::runtime_error with a short message
// (no C++ backtrace) and memory exhaustion into an actionable message.
template <typename Fn>
auto with_torch_errors(Fn&& fn) -> decltype(fn()) {
  WarningCapture capture;
  try {
    return fn();
  } catch (const c10::Error& e) {
    const std::string msg = e.what_without_backtrace();
    // CUDA says "out of memory"; LibTorch's CPU allocator "can't allocate memory".
    if (msg.find("out of memory") != std::string::npos || msg.find("allocate memory") != std::string::npos)
      throw std::runtime_error("out of memory: use a smaller batch_size (" + msg + ")");
    throw std::runtime_error(msg);
  } catch (const std::bad_alloc&) {
    throw std::runtime_error("out of memory: use a smaller batch_size or fewer max_tokens");
  }
}

}  // namespace sclm
