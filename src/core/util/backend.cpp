#include "util/backend.h"

#include <malloc.h>

#include <mutex>
#include <utility>
#include <vector>

#include "api.h"

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
  return info;
}

}  // namespace sclm
