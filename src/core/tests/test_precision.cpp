// Mixed precision (bf16 autocast): the scope's switches, and training and inference in bf16 on
// every device this build sees, against float32 on real pbmc3k cells.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "api.h"
#include "real_data.h"
#include "util/backend.h"

using namespace sclm;

namespace {

std::vector<std::string> devices() {
  std::vector<std::string> out{"cpu"};
  if (torch::cuda::is_available()) out.push_back("cuda");
  return out;
}

int argmax_row(const std::vector<float>& logits, int row, int width) {
  const float* r = logits.data() + static_cast<std::size_t>(row) * width;
  return static_cast<int>(std::max_element(r, r + width) - r);
}

}  // namespace

TEST(Precision, ScopeCastsMatrixProductsAndRestoresTheSettings) {
  EXPECT_EQ(parse_precision("fp32"), Precision::kFloat32);
  EXPECT_EQ(parse_precision("bf16"), Precision::kBFloat16);
  EXPECT_THROW(parse_precision("fp16"), std::invalid_argument);
  for (const auto& name : devices()) {
    const torch::Device device(name);
    const auto a = torch::randn({8, 16}, torch::TensorOptions().device(device));
    const auto w = torch::randn({4, 16}, torch::TensorOptions().device(device));
    {
      AutocastScope fp32(device, Precision::kFloat32);
      EXPECT_EQ(torch::nn::functional::linear(a, w).scalar_type(), torch::kFloat) << name;
    }
    {
      AutocastScope outer(device, Precision::kBFloat16);
      EXPECT_EQ(torch::nn::functional::linear(a, w).scalar_type(), torch::kBFloat16) << name;
      {
        AutocastScope inner(device, Precision::kBFloat16);
        EXPECT_EQ(torch::matmul(a, w.t()).scalar_type(), torch::kBFloat16) << name;
      }
      EXPECT_EQ(torch::matmul(a, w.t()).scalar_type(), torch::kBFloat16) << name;  // inner left outer on
      // Losses stay float32.
      const auto loss = torch::nn::functional::cross_entropy(torch::nn::functional::linear(a, w),
                                                             torch::zeros({8}, torch::TensorOptions().dtype(torch::kLong).device(device)));
      EXPECT_EQ(loss.scalar_type(), torch::kFloat) << name;
    }
    EXPECT_EQ(torch::matmul(a, w.t()).scalar_type(), torch::kFloat) << name;
  }
}

TEST(Precision, Bf16TrainsFloat32WeightsAndAnnotatesAsFloat32Does) {
  const auto data = sclm_test::load_pbmc_subset();
  ModelConfig model;
  model.n_features = data.n_rows;
  model.n_classes = data.n_classes;
  model.dim = 32;
  model.ff_dim = 64;
  const TokenizerConfig tokenizer{128, 10, 1e4};
  TrainConfig train;
  train.epochs = 6;
  train.batch_size = 16;
  train.learning_rate = 2e-3;
  train.seed = 42;
  train.num_threads = 2;
  for (const auto& device : devices()) {
    train.device = device;
    train.precision = "bf16";
    const auto bf16 = train_classifier(sclm_test::cells_of(model, tokenizer, data.view(), data.identity_map()), data.labels, model, tokenizer, train, {});
    train.precision = "fp32";
    const auto fp32 = train_classifier(sclm_test::cells_of(model, tokenizer, data.view(), data.identity_map()), data.labels, model, tokenizer, train, {});
    ASSERT_EQ(bf16.history.size(), fp32.history.size());
    const auto& last = bf16.history.back();
    EXPECT_TRUE(std::isfinite(last.train_loss)) << device;
    EXPECT_LT(last.train_loss, bf16.history.front().train_loss) << device;
    EXPECT_NEAR(last.train_loss, fp32.history.back().train_loss, 0.15) << device;
    EXPECT_GT(bf16.history[bf16.best_epoch - 1].val_accuracy, 0.6) << device;

    // The weights stay float32: they load into an fp32 run, and a bf16 run of them picks the
    // same labels for nearly every cell.
    RunConfig run;
    run.batch_size = 64;
    run.device = device;
    const auto exact = classify_cells(bf16.weights, model, tokenizer, data.view(), data.identity_map(), run, nullptr, false);
    run.precision = "bf16";
    const auto fast = classify_cells(bf16.weights, model, tokenizer, data.view(), data.identity_map(), run, nullptr, false);
    ASSERT_EQ(exact.logits.size(), fast.logits.size());
    int same = 0;
    double largest_gap = 0;
    for (int c = 0; c < data.n_cols; ++c) same += argmax_row(exact.logits, c, data.n_classes) == argmax_row(fast.logits, c, data.n_classes);
    for (std::size_t k = 0; k < exact.logits.size(); ++k)
      largest_gap = std::max(largest_gap, static_cast<double>(std::fabs(exact.logits[k] - fast.logits[k])));
    EXPECT_GE(same, 0.97 * data.n_cols) << device;
    EXPECT_LT(largest_gap, 0.5) << device;  // bf16 keeps 8 bits of mantissa: logits of a few units move by ~0.05
    EXPECT_GT(largest_gap, 0.0) << device;  // the bf16 run did run in bf16
  }
  train.precision = "fp16";
  EXPECT_THROW(train_classifier(sclm_test::cells_of(model, tokenizer, data.view(), data.identity_map()), data.labels, model, tokenizer, train, {}),
               std::invalid_argument);
}
