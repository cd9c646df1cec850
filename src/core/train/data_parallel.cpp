#include "train/data_parallel.h"

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

#ifdef SCLM_WITH_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO  // the header's contents are behind this macro
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif

namespace sclm {

#ifdef SCLM_WITH_GLOO
struct DataParallel::Group {
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
};

namespace {

c10::intrusive_ptr<c10d::ProcessGroupGloo> connect(const DistributedConfig& c) {
  const auto timeout = std::chrono::milliseconds(static_cast<long>(c.timeout_seconds * 1000));
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(c.master_port);
  store_options.isServer = c.rank == 0;
  store_options.numWorkers = static_cast<std::size_t>(c.world_size);
  store_options.waitWorkers = true;
  store_options.timeout = timeout;
  auto store = c10::make_intrusive<c10d::TCPStore>(c.master_addr, store_options);
  auto options = c10d::ProcessGroupGloo::Options::create();
  options->timeout = timeout;
  // GLOO_SOCKET_IFNAME picks the network interface, as in PyTorch; otherwise the host name's.
  const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
  options->devices.push_back(interface && *interface ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                                     : c10d::ProcessGroupGloo::createDefaultDevice());
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, c.rank, c.world_size, options);
}

}  // namespace
#else
struct DataParallel::Group {};
#endif

DataParallel::DataParallel(const DistributedConfig& c) : rank_(c.rank), world_size_(c.world_size) {
  if (c.world_size < 1 || c.rank < 0 || c.rank >= c.world_size)
    throw std::invalid_argument("distributed rank must be in [0, world_size) and world_size at least 1");
  if (c.world_size == 1) return;
  if (c.master_port < 1 || c.master_port > 65535) throw std::invalid_argument("master_port must be in 1..65535");
  if (!(c.timeout_seconds > 0)) throw std::invalid_argument("the distributed timeout must be positive");
#ifdef SCLM_WITH_GLOO
  group_ = std::make_unique<Group>();
  try {
    group_->group = connect(c);
  } catch (const c10::Error& e) {
    throw std::runtime_error("cannot reach the other training processes at " + c.master_addr + ":" +
                             std::to_string(c.master_port) + " (rank " + std::to_string(c.rank) + " of " +
                             std::to_string(c.world_size) + "): " + e.what_without_backtrace());
  }
#else
  throw std::invalid_argument(
      "this build of scLM has no Gloo support for data-parallel training (LibTorch's c10d Gloo headers were "
      "not found at install time; on Debian install libgloo-dev and reinstall scLM)");
#endif
}

DataParallel::~DataParallel() = default;

std::vector<int> DataParallel::shard(const std::vector<int>& cells) const {
  if (!active()) return cells;
  std::vector<int> mine;
  for (std::size_t k = rank_; k < cells.size(); k += world_size_) mine.push_back(cells[k]);
  return mine;
}

#ifdef SCLM_WITH_GLOO
namespace {
void all_reduce_sum(c10d::ProcessGroupGloo& group, torch::Tensor& t) {
  std::vector<torch::Tensor> tensors{t};
  group.allreduce(tensors)->wait();
}
}  // namespace
#endif

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  if (!active()) return;
#ifdef SCLM_WITH_GLOO
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    auto cpu = t.detach().to(torch::kCPU).contiguous();
    std::vector<torch::Tensor> one{cpu};
    group_->group->broadcast(one)->wait();
    t.detach().copy_(cpu);
  }
#endif
}

void DataParallel::average_gradients(const std::vector<torch::Tensor>& parameters, double items) {
  if (!active()) return;
#ifdef SCLM_WITH_GLOO
  torch::NoGradGuard no_grad;
  // One buffer: every gradient as a sum over this process's items, then the item count.
  std::vector<torch::Tensor> parts;
  for (const auto& p : parameters) {
    const auto g = p.grad().defined() ? p.grad() : torch::zeros_like(p);
    parts.push_back(g.reshape({-1}).to(torch::kCPU, torch::kFloat64) * items);
  }
  parts.push_back(torch::full({1}, items, torch::kFloat64));
  auto flat = torch::cat(parts);
  all_reduce_sum(*group_->group, flat);
  const double total = flat[-1].item<double>();
  if (total <= 0) throw std::runtime_error("no training items in this step on any process");
  flat = flat / total;
  int64_t offset = 0;
  for (const auto& p : parameters) {
    const auto n = p.numel();
    auto mean = flat.narrow(0, offset, n).view(p.sizes()).to(p.device(), p.scalar_type());
    if (p.grad().defined()) {
      p.mutable_grad().copy_(mean);
    } else {
      p.mutable_grad() = mean;
    }
    offset += n;
  }
#endif
}

void DataParallel::sum(std::vector<double>& values) {
  if (!active() || values.empty()) return;
#ifdef SCLM_WITH_GLOO
  auto t = torch::tensor(values, torch::kFloat64);
  all_reduce_sum(*group_->group, t);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = t[i].item<double>();
#endif
}

bool DataParallel::any(bool flag) {
  std::vector<double> v{flag ? 1.0 : 0.0};
  sum(v);
  return v[0] > 0;
}

}  // namespace sclm
