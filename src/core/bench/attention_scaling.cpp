// Time and memory of one training step (forward + backward) of a single SelfAttention layer
// against sequence length, for full, Performer and Linformer attention. One (kind, L) per process,
// so the peak RSS belongs to that configuration alone (bench/attention_scaling.sh loops).
//   sclm_bench_attention kind=<full|performer|linformer> length=<L> [steps=3] [threads=2]
//                        [m_or_k=64] [device=cpu] [precision=fp32] [dim=64] [heads=4]
//   sclm_bench_attention version
// Prints: kind L m_or_k median_step_wall_ms median_step_cpu_ms peak_step_mib
// On CUDA the peak is the caching allocator's peak allocation during the steps (device memory).
#include <sys/resource.h>
#include <unistd.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "bench_options.h"
#include "model/attention.h"
#include "util/backend.h"

namespace {

// Current resident set size in MiB (/proc/self/statm: pages).
double rss_mib() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: KiB
}

// User + system CPU time of the process in ms: unlike wall time, barely moved by other processes
// competing for the cores (a shared machine), though it counts OpenMP threads' spin-waiting.
double cpu_ms() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "version") {
    std::printf("%s\n", TORCH_VERSION);
    return 0;
  }
  const sclm_bench::Options o(argc, argv, {{"kind", "full"}, {"length", "1000"}, {"steps", "3"}, {"threads", "2"},
                                           {"m_or_k", "64"}, {"device", "cpu"}, {"precision", "fp32"}, {"dim", "64"},
                                           {"heads", "4"}});
  const std::string kind = o.str("kind");
  const int L = o.integer("length"), steps = o.integer("steps"), m_or_k = o.integer("m_or_k");
  torch::set_num_threads(o.integer("threads"));
  const torch::Device device = sclm::resolve_device(o.str("device"));
  const auto precision = sclm::parse_precision(o.str("precision"));
  const int dim = o.integer("dim"), heads = o.integer("heads");
  sclm::AttentionConfig config;
  if (kind == "full") {
    config.kind = sclm::AttentionKind::kFull;
  } else if (kind == "performer") {
    config.kind = sclm::AttentionKind::kPerformer;
    config.performer_features = m_or_k;
  } else if (kind == "linformer") {
    config.kind = sclm::AttentionKind::kLinformer;
    config.linformer_k = m_or_k;
    config.max_length = L;
  } else {
    std::fprintf(stderr, "unknown kind %s\n", kind.c_str());
    return 2;
  }
  torch::manual_seed(1);
  sclm::SelfAttention layer(dim, heads, config);
  layer->to(device);
  const auto x = torch::randn({1, L, dim}).to(device);
  const auto padding = torch::zeros({1, L}, torch::kBool).to(device);

  auto step = [&] {
    for (auto& p : layer->parameters()) p.mutable_grad() = torch::Tensor();
    torch::Tensor y;
    {
      sclm::AutocastScope autocast(device, precision);
      y = layer->forward(x, padding);
    }
    y.to(torch::kFloat).pow(2).mean().backward();
    sclm_bench::synchronize(device);
  };
  // The first step allocates everything a step needs; its peak is the one measured.
  sclm_bench::synchronize(device);
  sclm_bench::reset_cuda_peak(device);
  const double before = rss_mib();
  std::vector<double> ms, cpu;
  for (int s = 0; s < steps + 1; ++s) {
    const double c0 = cpu_ms();
    const auto t0 = std::chrono::steady_clock::now();
    step();
    const auto t1 = std::chrono::steady_clock::now();
    if (s > 0) {
      ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      cpu.push_back(cpu_ms() - c0);
    }
  }
  const double peak = device.is_cuda() ? sclm_bench::cuda_peak_mib(device) : peak_rss_mib() - before;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  std::printf("%-10s %6d %5d %12.1f %12.1f %12.1f\n", kind.c_str(), L, kind == "full" ? 0 : m_or_k, median(ms), median(cpu),
              peak);
  return 0;
}
