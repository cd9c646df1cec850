#include "train/adamw.h"

#include <cmath>
#include <sstream>
#include <string>
#include <type_traits>

namespace sclm {
namespace {

// LibTorch keys the state by the parameter's TensorImpl: as a string in 1.x, a pointer in 2.x.
template <typename Key>
Key state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream s;  // as c10::guts::to_string, which LibTorch 2.x no longer has
    s << p.unsafeGetTensorImpl();
    return s.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

}  // namespace

torch::Tensor ForeachAdamW::step(LossClosure closure) {
  TORCH_CHECK(!closure, "ForeachAdamW takes no closure");
  torch::NoGradGuard no_grad;
  auto key = [](const torch::Tensor& p) { return state_key<typename std::decay_t<decltype(state_)>::key_type>(p); };
  struct Update {
    const torch::optim::AdamWOptions* options;
    std::vector<torch::Tensor> params, grads, exp_avgs, exp_avg_sqs;
    std::vector<torch::optim::AdamWParamState*> states;
  };
  std::vector<Update> updates;
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    Update u{&options, {}, {}, {}, {}, {}};
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      TORCH_CHECK(!p.grad().is_sparse(), "AdamW does not support sparse gradients");
      auto& slot = state_[key(p)];
      if (!slot) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto* state = static_cast<torch::optim::AdamWParamState*>(slot.get());
      // Parameters that missed steps, or amsgrad: LibTorch's own loop (never in scLM's trainings).
      const auto* first = u.states.empty() ? state : u.states.front();
      if (options.amsgrad() || state->step() != first->step()) return torch::optim::AdamW::step();
      u.params.push_back(p);
      u.grads.push_back(p.grad());
      u.exp_avgs.push_back(state->exp_avg());
      u.exp_avg_sqs.push_back(state->exp_avg_sq());
      u.states.push_back(state);
    }
    if (!u.params.empty()) updates.push_back(std::move(u));
  }
  for (auto& u : updates) {
    const auto& options = *u.options;
    for (auto* s : u.states) s->step(s->step() + 1);
    const auto [beta1, beta2] = options.betas();
    const double t = static_cast<double>(u.states.front()->step());
    const double bias_correction1 = 1 - std::pow(beta1, t), bias_correction2 = 1 - std::pow(beta2, t);
    if (options.weight_decay() != 0) at::_foreach_mul_(u.params, 1 - options.lr() * options.weight_decay());
    at::_foreach_mul_(u.exp_avgs, beta1);
    at::_foreach_add_(u.exp_avgs, u.grads, 1 - beta1);
    at::_foreach_mul_(u.exp_avg_sqs, beta2);
    at::_foreach_addcmul_(u.exp_avg_sqs, u.grads, u.grads, 1 - beta2);
    auto denom = at::_foreach_sqrt(u.exp_avg_sqs);
    at::_foreach_div_(denom, std::sqrt(bias_correction2));
    at::_foreach_add_(denom, options.eps());
    at::_foreach_addcdiv_(u.params, u.exp_avgs, denom, -options.lr() / bias_correction1);
  }
  return {};
}

}  // namespace sclm
