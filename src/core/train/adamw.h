// AdamW with LibTorch's arithmetic, state and checkpoint format (torch::optim::AdamW), but one
// multi-tensor (_foreach) update for all parameters instead of a loop of small per-parameter
// ops: on a GPU that loop launched ~10 kernels per parameter tensor and cost more than the
// forward and backward passes of a small model.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace sclm {

class ForeachAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace sclm
