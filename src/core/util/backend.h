// LibTorch plumbing shared by the core: devices, threads, seeds, warning capture, error mapping.
#pragma once

#include <torch/torch.h>

#include <new>
#include <stdexcept>
#include <string>

namespace sclm {

// "cpu", "cuda", "cuda:N" or "auto" (CUDA when available). Throws std::invalid_argument.
torch::Device resolve_device(const std::string& name);

// Mixed precision: "fp32" runs everything in float32; "bf16" runs matrix products and attention
// under autocast in bfloat16, and the models carry their residual stream and its block norms in
// bfloat16 (model/layers.h), while weights, optimiser state, output norms, softmax and losses stay
// float32. Throws std::invalid_argument for other names.
enum class Precision { kFloat32, kBFloat16 };
Precision parse_precision(const std::string& name);

// While alive, autocasts the ops of this thread on `device` to `precision` (nothing for fp32).
// Wrap forward passes and losses only: backward follows the casts the forward made.
class AutocastScope {
 public:
  AutocastScope(const torch::Device& device, Precision precision);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  c10::DeviceType type_ = c10::DeviceType::CPU;
  bool was_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

// Whether this thread's ops on `device_type` run under autocast (an AutocastScope is alive).
bool autocast_enabled(c10::DeviceType device_type);

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
