#include <gtest/gtest.h>

#include <random>

#include "api.h"
#include "data/batch.h"
#include "model/classifier.h"
#include "model/encoder.h"
#include "real_data.h"
#include "util/backend.h"

using namespace sclm;

namespace {
ModelConfig small_config(int n_features, int n_classes) {
  ModelConfig c;
  c.n_features = n_features;
  c.n_classes = n_classes;
  c.dim = 32;
  c.n_heads = 4;
  c.ff_dim = 64;
  c.n_layers = 2;
  c.dropout = 0.0;
  return complete_config(c, TokenizerConfig{});
}
}  // namespace

TEST(Model, RejectsInconsistentConfig) {
  auto c = small_config(10, 3);
  c.n_heads = 5;
  EXPECT_THROW(CellClassifier{c}, std::invalid_argument);
  c = small_config(10, 1);
  EXPECT_THROW(CellClassifier{c}, std::invalid_argument);
}

TEST(Model, PaddingDoesNotChangeOutputs) {
  const auto d = sclm_test::load_pbmc_subset();
  Tokenizer tok({512, 10, 1e4}, d.identity_map(), d.n_rows);  // long enough that cells differ in length
  const auto store = tok.tokenize_all(d.view());
  torch::manual_seed(1);
  CellClassifier model(small_config(d.n_rows, d.n_classes));
  model->eval();
  torch::NoGradGuard no_grad;
  // cell 0 alone vs together with a longer cell (more padding for cell 0 if shorter)
  int other = 0;
  for (int c = 1; c < store.n_cells(); ++c)
    if (store.length(c) != store.length(0)) { other = c; break; }
  ASSERT_NE(other, 0);
  // Alone, the cell has no padding and attends without a mask; together, with one.
  const auto single = make_batch(store, {0}), pair = make_batch(store, {0, other});
  EXPECT_FALSE(single.padded);
  EXPECT_TRUE(pair.padded);
  EXPECT_FALSE(make_batch(store, {0, 0}).padded);
  auto alone = model->forward(single);
  auto together = model->forward(pair);
  EXPECT_TRUE(torch::allclose(alone[0], together[0], 1e-4, 1e-5));
  // A token left out in place (keep_positions) pads the batch.
  std::mt19937_64 rng(3);
  EXPECT_TRUE(make_batch(store, {0, 0}, &rng, 0.5, /*keep_positions=*/true).padded);
}

TEST(Model, SerializationRoundTrip) {
  torch::manual_seed(3);
  auto config = small_config(50, 4);
  CellClassifier a(config);
  const auto bytes = serialize_module(*a);
  torch::manual_seed(4);
  CellClassifier b(config);
  deserialize_module(*b, bytes, torch::Device(torch::kCPU));
  auto pa = a->parameters(), pb = b->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t k = 0; k < pa.size(); ++k) EXPECT_TRUE(torch::equal(pa[k], pb[k]));
  auto other = small_config(60, 4);  // different vocabulary size
  CellClassifier c(other);
  EXPECT_THROW(deserialize_module(*c, bytes, torch::Device(torch::kCPU)), std::invalid_argument);
  EXPECT_THROW(validate_weights("not a model", serialize_module(*a->encoder()), config, TokenizerConfig{}),
               std::invalid_argument);
  EXPECT_NO_THROW(validate_weights(bytes, serialize_module(*a->encoder()), config, TokenizerConfig{}));
}

TEST(Backend, TorchWarningsAreCollectedForTheHost) {
  take_torch_warnings();
  {
    WarningCapture capture;
    TORCH_WARN("scLM test warning");
  }
  const auto warnings = take_torch_warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("scLM test warning"), std::string::npos);
  EXPECT_TRUE(take_torch_warnings().empty());
}

TEST(Backend, DeviceNamesAreChecked) {
  EXPECT_TRUE(resolve_device("cpu").is_cpu());
  EXPECT_THROW(resolve_device("gpu"), std::invalid_argument);
  if (!torch::cuda::is_available()) EXPECT_THROW(resolve_device("cuda"), std::invalid_argument);
}
