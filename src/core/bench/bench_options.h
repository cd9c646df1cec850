// Shared by the core's benchmark programs: key=value arguments, the genes a benchmark keeps,
// device synchronisation and CUDA peak memory.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef SCLM_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

#include "../tests/real_data.h"

namespace sclm_bench {

// key=value arguments with defaults; unknown keys are an error.
class Options {
 public:
  Options(int argc, char** argv, std::map<std::string, std::string> defaults) : values_(std::move(defaults)) {
    for (int a = 1; a < argc; ++a) {
      const std::string arg = argv[a];
      const auto eq = arg.find('=');
      if (eq == std::string::npos || values_.count(arg.substr(0, eq)) == 0)
        throw std::invalid_argument("unknown argument " + arg);
      values_[arg.substr(0, eq)] = arg.substr(eq + 1);
    }
  }
  std::string str(const std::string& key) const { return values_.at(key); }
  int integer(const std::string& key) const { return std::atoi(values_.at(key).c_str()); }

 private:
  std::map<std::string, std::string> values_;
};

// Feature map keeping the `n` genes detected in most cells (vocabulary index by that order).
inline std::vector<int> most_detected_genes(const sclm_test::RealCells& d, int n) {
  std::vector<int> detected(d.n_rows, 0);
  for (int i : d.i) ++detected[i];
  std::vector<int> rows(d.n_rows);
  std::iota(rows.begin(), rows.end(), 0);
  std::stable_sort(rows.begin(), rows.end(), [&](int a, int b) { return detected[a] > detected[b]; });
  std::vector<int> map(d.n_rows, -1);
  for (int k = 0; k < std::min(n, d.n_rows); ++k) map[rows[k]] = k;
  return map;
}

// `copies` copies of the cells side by side (a larger real data set for throughput).
inline sclm_test::RealCells replicate(const sclm_test::RealCells& d, int copies) {
  sclm_test::RealCells out = d;
  out.p.assign(1, 0);
  out.i.clear();
  out.x.clear();
  out.labels.clear();
  for (int r = 0; r < copies; ++r) {
    for (int c = 0; c < d.n_cols; ++c) out.p.push_back(out.p.back() + d.p[c + 1] - d.p[c]);
    out.i.insert(out.i.end(), d.i.begin(), d.i.end());
    out.x.insert(out.x.end(), d.x.begin(), d.x.end());
    out.labels.insert(out.labels.end(), d.labels.begin(), d.labels.end());
  }
  out.n_cols = d.n_cols * copies;
  return out;
}

inline void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

// Peak bytes the CUDA caching allocator handed out since the last reset (0 without CUDA).
inline double cuda_peak_mib(const torch::Device& device) {
#ifdef SCLM_WITH_CUDA
  if (device.is_cuda())
    return static_cast<double>(c10::cuda::CUDACachingAllocator::getDeviceStats(device.index() < 0 ? 0 : device.index())
                                   .allocated_bytes[0].peak) / (1024.0 * 1024.0);
#endif
  (void)device;
  return 0;
}

inline void reset_cuda_peak(const torch::Device& device) {
#ifdef SCLM_WITH_CUDA
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.index() < 0 ? 0 : device.index());
#endif
  (void)device;
}

}  // namespace sclm_bench
