// ForeachAdamW: LibTorch's AdamW arithmetic and state, as one multi-tensor update.
#include <gtest/gtest.h>

#include <sstream>

#include "train/adamw.h"

using sclm::ForeachAdamW;

namespace {

std::vector<torch::Tensor> make_parameters() {
  torch::manual_seed(3);
  return {torch::randn({7, 5}).requires_grad_(), torch::randn({5}).requires_grad_(), torch::randn({3, 2, 4}).requires_grad_()};
}

void set_gradients(std::vector<torch::Tensor>& params, int step) {
  torch::manual_seed(100 + step);
  for (auto& p : params) p.mutable_grad() = torch::randn_like(p);
}

}  // namespace

TEST(ForeachAdamW, StepsExactlyAsLibTorchsAdamWAndSharesItsCheckpoints) {
  auto reference = make_parameters(), foreach = make_parameters();
  const auto options = torch::optim::AdamWOptions(3e-3).weight_decay(0.01);
  torch::optim::AdamW a(reference, options);
  ForeachAdamW b(foreach, options);
  for (int s = 0; s < 5; ++s) {
    set_gradients(reference, s);
    set_gradients(foreach, s);
    a.step();
    b.step();
  }
  for (std::size_t k = 0; k < reference.size(); ++k) EXPECT_TRUE(torch::equal(reference[k], foreach[k])) << k;

  // State saved by one loads into the other and the steps go on identically.
  std::stringstream saved;
  torch::serialize::OutputArchive out;
  b.save(out);
  out.save_to(saved);
  auto resumed = make_parameters();
  for (std::size_t k = 0; k < resumed.size(); ++k) resumed[k].detach().copy_(foreach[k]);
  torch::optim::AdamW c(resumed, options);
  torch::serialize::InputArchive in;
  in.load_from(saved);
  c.load(in);
  set_gradients(resumed, 9);
  set_gradients(foreach, 9);
  c.step();
  b.step();
  for (std::size_t k = 0; k < resumed.size(); ++k) EXPECT_TRUE(torch::equal(resumed[k], foreach[k])) << k;

  // A parameter without a gradient is left alone; one that missed steps takes LibTorch's path.
  foreach[1].mutable_grad() = torch::Tensor();
  const auto before = foreach[1].detach().clone();
  set_gradients(reference, 10);
  foreach[0].mutable_grad() = torch::randn_like(foreach[0]);
  foreach[2].mutable_grad() = torch::randn_like(foreach[2]);
  b.step();
  EXPECT_TRUE(torch::equal(before, foreach[1]));
  set_gradients(foreach, 11);
  EXPECT_NO_THROW(b.step());
}
