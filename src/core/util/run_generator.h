// The random draws of a training run. On the CPU a run draws from a generator of its own,
// installed for the calling thread while the run lasts, so models trained side by side on several
// threads (train_classifiers()) each draw what they would draw alone. On a GPU, and where no run
// is active, the draws come from LibTorch's global generators, seeded by torch::manual_seed().
// The models' dropout and the training loop's random tensors go through these functions.
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <cstdint>
#include <mutex>

namespace sclm {

namespace detail {
inline c10::optional<at::Generator>& thread_generator() {
  thread_local c10::optional<at::Generator> generator;
  return generator;
}
}  // namespace detail

// While alive, a run on `device` draws from its own generator (CPU) or the global ones (GPU).
class RunGenerator {
 public:
  explicit RunGenerator(const torch::Device& device)
      : own_(device.is_cpu() ? c10::optional<at::Generator>(at::detail::createCPUGenerator()) : c10::nullopt),
        previous_(detail::thread_generator()) {
    detail::thread_generator() = own_;
  }
  ~RunGenerator() { detail::thread_generator() = previous_; }
  RunGenerator(const RunGenerator&) = delete;
  RunGenerator& operator=(const RunGenerator&) = delete;

  // Restarts the run's draws from `seed` (an epoch's seed, so a resumed run repeats them).
  void seed(std::uint64_t seed) {
    if (!own_) {
      torch::manual_seed(seed);
      return;
    }
    std::lock_guard<std::mutex> lock(own_->mutex());
    own_->set_current_seed(seed);
  }

 private:
  c10::optional<at::Generator> own_, previous_;
};

// torch::dropout, drawing from the run's generator (the same draws and values as torch::dropout
// on LibTorch's CPU generator in the same state).
inline torch::Tensor dropout(const torch::Tensor& x, double p, bool training) {
  const auto& generator = detail::thread_generator();
  if (!training || p <= 0 || !generator) return torch::dropout(x, p, training);
  return x * at::empty_like(x).bernoulli_(1 - p, generator).div_(1 - p);
}

// torch::rand_like / torch::randn from the run's generator.
inline torch::Tensor uniform_like(const torch::Tensor& x) {
  return at::empty_like(x).uniform_(0, 1, detail::thread_generator());
}
inline torch::Tensor normal(at::IntArrayRef shape, const torch::TensorOptions& options) {
  return at::empty(shape, options).normal_(0, 1, detail::thread_generator());
}

}  // namespace sclm
