#include "train/data_parallel.h"

#include <chrono>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string>

#if defined(SCLM_WITH_GLOO) || defined(SCLM_WITH_NCCL)
#define SCLM_WITH_C10D 1
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#ifdef SCLM_WITH_GLOO
#ifndef USE_C10D_GLOO
#define USE_C10D_GLOO  // the header's contents are behind this macro
#endif
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef SCLM_WITH_NCCL
#ifndef USE_C10D_NCCL
#define USE_C10D_NCCL
#endif
#include <c10/cuda/CUDAFunctions.h>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace sclm {

// The collectives the loop needs, over whichever c10d backend connected: Gloo exchanges host
// tensors, NCCL tensors on this process's GPU (`device`).
struct DataParallel::Group {
  std::function<void(std::vector<torch::Tensor>&)> all_reduce_sum, broadcast_from_rank0;
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat64;  // of the gradient buffer
};

std::string data_parallel_backend(const torch::Device& device) {
#ifdef SCLM_WITH_NCCL
  if (device.is_cuda()) return "nccl";
#endif
#ifdef SCLM_WITH_GLOO
  return "gloo";  // also for CUDA parameters without NCCL: their gradients go through host memory
#else
  (void)device;
  return "";
#endif
}

#ifdef SCLM_WITH_C10D
namespace {

template <typename ProcessGroup>
void bind_collectives(DataParallel::Group& group, c10::intrusive_ptr<ProcessGroup> pg) {
  group.all_reduce_sum = [pg](std::vector<torch::Tensor>& t) { pg->allreduce(t)->wait(); };
  group.broadcast_from_rank0 = [pg](std::vector<torch::Tensor>& t) { pg->broadcast(t)->wait(); };
}

void connect(DataParallel::Group& group, const DistributedConfig& c, const std::string& backend,
             const torch::Device& device) {
  const auto timeout = std::chrono::milliseconds(static_cast<long>(c.timeout_seconds * 1000));
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<std::uint16_t>(c.master_port);
  store_options.isServer = c.rank == 0;
  store_options.numWorkers = static_cast<std::size_t>(c.world_size);
  store_options.waitWorkers = true;
  store_options.timeout = timeout;
  auto store = c10::make_intrusive<c10d::TCPStore>(c.master_addr, store_options);
#ifdef SCLM_WITH_NCCL
  if (backend == "nccl") {
    // NCCL's communicator binds to the current GPU: one GPU per process.
    c10::cuda::set_device(device.has_index() ? device.index() : 0);
    auto options = c10d::ProcessGroupNCCL::Options::create();
    options->timeout = timeout;
    bind_collectives(group, c10::make_intrusive<c10d::ProcessGroupNCCL>(store, c.rank, c.world_size, options));
    group.device = device;
    group.dtype = torch::kFloat32;
    return;
  }
#endif
#ifdef SCLM_WITH_GLOO
  auto options = c10d::ProcessGroupGloo::Options::create();
  options->timeout = timeout;
  // GLOO_SOCKET_IFNAME picks the network interface, as in PyTorch; otherwise the host name's.
  const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
  options->devices.push_back(interface && *interface ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                                     : c10d::ProcessGroupGloo::createDefaultDevice());
  bind_collectives(group, c10::make_intrusive<c10d::ProcessGroupGloo>(store, c.rank, c.world_size, options));
#endif
  (void)backend;
  (void)device;
}

}  // namespace
#endif

DataParallel::DataParallel(const DistributedConfig& c, const torch::Device& device)
    : rank_(c.rank), world_size_(c.world_size) {
  if (c.world_size < 1 || c.rank < 0 || c.rank >= c.world_size)
    throw std::invalid_argument("distributed rank must be in [0, world_size) and world_size at least 1");
  if (c.world_size == 1) return;
  if (c.master_port < 1 || c.master_port > 65535) throw std::invalid_argument("master_port must be in 1..65535");
  if (!(c.timeout_seconds > 0)) throw std::invalid_argument("the distributed timeout must be positive");
  const auto backend = data_parallel_backend(device);
  if (backend.empty())
    throw std::invalid_argument(
        "this build of scLM has no Gloo or NCCL support for data-parallel training (LibTorch's c10d headers and "
        "Gloo's or NCCL's were not found at install time; on Debian install libgloo-dev and reinstall scLM)");
#ifdef SCLM_WITH_C10D
  group_ = std::make_unique<Group>();
  try {
    connect(*group_, c, backend, device);
  } catch (const c10::Error& e) {
    throw std::runtime_error("cannot reach the other training processes at " + c.master_addr + ":" +
                             std::to_string(c.master_port) + " over " + backend + " (rank " + std::to_string(c.rank) +
                             " of " + std::to_string(c.world_size) + "): " + e.what_without_backtrace());
  }
#endif
}

DataParallel::~DataParallel() = default;

std::vector<int> DataParallel::shard(const std::vector<int>& cells) const {
  if (!active()) return cells;
  std::vector<int> mine;
  for (std::size_t k = rank_; k < cells.size(); k += world_size_) mine.push_back(cells[k]);
  return mine;
}

void DataParallel::broadcast(const std::vector<torch::Tensor>& tensors) {
  if (!active()) return;
  torch::NoGradGuard no_grad;
  for (const auto& t : tensors) {
    std::vector<torch::Tensor> one{t.detach().to(group_->device).contiguous()};
    group_->broadcast_from_rank0(one);
    t.detach().copy_(one[0]);
  }
}

void DataParallel::average_gradients(const std::vector<torch::Tensor>& parameters, double items) {
  if (!active()) return;
  torch::NoGradGuard no_grad;
  const auto options = torch::TensorOptions().device(group_->device).dtype(group_->dtype);
  // One buffer: every gradient as a sum over this process's items, then the item count.
  std::vector<torch::Tensor> parts;
  for (const auto& p : parameters) {
    const auto g = p.grad().defined() ? p.grad() : torch::zeros_like(p);
    parts.push_back(g.reshape({-1}).to(options) * items);
  }
  parts.push_back(torch::full({1}, items, options));
  std::vector<torch::Tensor> flat{torch::cat(parts)};
  group_->all_reduce_sum(flat);
  const double total = flat[0][-1].item<double>();
  if (total <= 0) throw std::runtime_error("no training items in this step on any process");
  const auto mean = flat[0] / total;
  int64_t offset = 0;
  for (const auto& p : parameters) {
    const auto n = p.numel();
    auto part = mean.narrow(0, offset, n).view(p.sizes()).to(p.device(), p.scalar_type());
    if (p.grad().defined()) {
      p.mutable_grad().copy_(part);
    } else {
      p.mutable_grad() = part;
    }
    offset += n;
  }
}

void DataParallel::sum(std::vector<double>& values) {
  if (!active() || values.empty()) return;
  std::vector<torch::Tensor> t{torch::tensor(values, torch::kFloat64).to(group_->device)};
  group_->all_reduce_sum(t);
  const auto host = t[0].to(torch::kCPU);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = host[i].item<double>();
}

bool DataParallel::any(bool flag) {
  std::vector<double> v{flag ? 1.0 : 0.0};
  sum(v);
  return v[0] > 0;
}

}  // namespace sclm
