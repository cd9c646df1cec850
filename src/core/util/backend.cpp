#include "util/backend.h"

#include <ATen/autocast_mode.h>
#include <malloc.h>

#include <mutex>
#include <utility>
#include <vector>

#include "util/backend_info.h"
#include "util/blas_kernel.h"

namespace sclm {
namespace {

std::mutex warnings_mutex;
std::vector<std::string> warnings;

void push_warning(const std::string& msg) {
  std::lock_guard<std::mutex> lock(warnings_mutex);
  if (warnings.size() < 100) warnings.push_back(msg);
}

// The handler interface changed between LibTorch 1.x and 2.x.
class CollectingHandler : public c10::WarningHandler {
 public:
#if TORCH_VERSION_MAJOR >= 2
  void process(const c10::Warning& warning) override { push_warning(warning.msg()); }
#else
  void process(const c10::SourceLocation&, const std::string& msg, const bool) override {
    push_warning(msg);
  }
#endif
};

CollectingHandler collecting_handler;

#if TORCH_VERSION_MAJOR >= 2
namespace warning_api = c10::WarningUtils;
#else
namespace warning_api = c10::Warning;
#endif

}  // namespace

WarningCapture::WarningCapture() : previous_(warning_api::get_warning_handler()) {
  warning_api::set_warning_handler(&collecting_handler);
}

WarningCapture::~WarningCapture() {
  warning_api::set_warning_handler(static_cast<c10::WarningHandler*>(previous_));
}

std::vector<std::string> take_torch_warnings() {
  std::lock_guard<std::mutex> lock(warnings_mutex);
  std::vector<std::string> out;
  out.swap(warnings);
  return out;
}

torch::Device resolve_device(const std::string& name) {
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  if (name == "cpu") return torch::Device(torch::kCPU);
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw std::invalid_argument("device \"" + name + "\" was requested but this LibTorch build sees no CUDA device; use device = \"cpu\" or \"auto\"");
    torch::Device device(name);
    if (device.has_index() && device.index() >= static_cast<int>(torch::cuda::device_count()))
      throw std::invalid_argument("device \"" + name + "\" does not exist: " +
                                  std::to_string(torch::cuda::device_count()) + " CUDA device(s) found");
    return device;
  }
  throw std::invalid_argument("unknown device \"" + name + "\": use \"auto\", \"cpu\" or \"cuda\"");
}

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::kFloat32;
  if (name == "bf16") return Precision::kBFloat16;
  throw std::invalid_argument("unknown precision \"" + name + "\": use \"fp32\" or \"bf16\"");
}

// The autocast switches moved from per-device functions to device-type arguments in LibTorch 2.4.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define SCLM_AUTOCAST_BY_DEVICE_TYPE 1
#endif

bool autocast_enabled(c10::DeviceType device_type) {
#ifdef SCLM_AUTOCAST_BY_DEVICE_TYPE
  return at::autocast::is_autocast_enabled(device_type);
#else
  return device_type == c10::DeviceType::CUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

AutocastScope::AutocastScope(const torch::Device& device, Precision precision) {
  if (precision == Precision::kFloat32) return;
  active_ = true;
  type_ = device.type();
#ifdef SCLM_AUTOCAST_BY_DEVICE_TYPE
  was_enabled_ = at::autocast::is_autocast_enabled(type_);
  previous_dtype_ = at::autocast::get_autocast_dtype(type_);
  at::autocast::set_autocast_dtype(type_, at::kBFloat16);
  at::autocast::set_autocast_enabled(type_, true);
#else
  if (device.is_cuda()) {
    was_enabled_ = at::autocast::is_enabled();
    previous_dtype_ = at::autocast::get_autocast_gpu_dtype();
    at::autocast::set_autocast_gpu_dtype(at::kBFloat16);
    at::autocast::set_enabled(true);
  } else {
    was_enabled_ = at::autocast::is_cpu_enabled();
    previous_dtype_ = at::autocast::get_autocast_cpu_dtype();
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(true);
  }
#endif
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  // The cache holds bf16 copies of the weights: they are stale once the optimiser steps.
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#ifdef SCLM_AUTOCAST_BY_DEVICE_TYPE
  at::autocast::set_autocast_enabled(type_, was_enabled_);
  at::autocast::set_autocast_dtype(type_, previous_dtype_);
#else
  if (type_ == c10::DeviceType::CUDA) {
    at::autocast::set_enabled(was_enabled_);
    at::autocast::set_autocast_gpu_dtype(previous_dtype_);
  } else {
    at::autocast::set_cpu_enabled(was_enabled_);
    at::autocast::set_autocast_cpu_dtype(previous_dtype_);
  }
#endif
}

void configure_runtime(int num_threads) {
#ifdef __GLIBC__
  // Attention buffers are tens of MB. By default glibc serves such blocks with mmap and unmaps
  // them on free, so every training step page-faults them in again: measured here, that
  // tripled the step time and made system time exceed user time. Serve them from the heap.
  static const bool tuned = [] {
    mallopt(M_MMAP_THRESHOLD, 512 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    return true;
  }();
  (void)tuned;
#endif
  if (num_threads > 0 && torch::get_num_threads() != num_threads) torch::set_num_threads(num_threads);
}

BackendInfo backend_info() {
  BackendInfo info;
  info.torch_version = TORCH_VERSION;
  info.cuda_available = torch::cuda::is_available();
  info.cuda_device_count = static_cast<int>(torch::cuda::device_count());
  info.num_threads = torch::get_num_threads();
  info.blas_kernel = blas_kernel();
  info.blas_kernel_for_runs = blas_kernel_for_runs();
  return info;
}

}  // namespace sclm
