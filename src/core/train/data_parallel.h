// Data parallelism on torch's c10d process groups (NCCL for CUDA parameters where the build has
// it, Gloo otherwise): the processes of a run split every batch, average their gradients and so
// take identical optimiser steps. Kept out of the loop's translation unit so that only one file
// sees the c10d headers.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "config/settings.h"

namespace sclm {

// "nccl" for parameters on a CUDA device in builds with NCCL, else "gloo" (CUDA parameters then
// exchange gradients through host memory); "" in builds with neither.
std::string data_parallel_backend(const torch::Device& device);

class DataParallel {
 public:
  // world_size 1 sets nothing up; otherwise connects to the others (rank 0 hosts the store) over
  // data_parallel_backend(device), where `device` holds this process's parameters. Throws
  // std::invalid_argument for bad settings or a build without a backend, std::runtime_error when
  // the others cannot be reached in time.
  explicit DataParallel(const DistributedConfig& config, const torch::Device& device = torch::kCPU);
  ~DataParallel();

  bool active() const { return world_size_ > 1; }
  int rank() const { return rank_; }

  // This process's cells of a batch every process holds in the same order (every world_size-th).
  std::vector<int> shard(const std::vector<int>& cells) const;
  // Copies rank 0's values into every process's tensors (weights at the start).
  void broadcast(const std::vector<torch::Tensor>& tensors);
  // Gradients of `parameters` are the mean over this process's `items`; afterwards every process
  // holds the mean over all processes' items. Missing gradients count as zero.
  void average_gradients(const std::vector<torch::Tensor>& parameters, double items);
  // Element-wise sums over the processes.
  void sum(std::vector<double>& values);
  bool any(bool flag);

  struct Group;

 private:
  std::unique_ptr<Group> group_;
  int rank_ = 0;
  int world_size_ = 1;
};

}  // namespace sclm
