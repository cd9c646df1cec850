// Training-step time of the scLM classifier on real pbmc3k cells (the core test subset).
// Writes the exact batches it used to <out>/batches.txt so bench/train_step_pytorch.py can time
// an identical plain-PyTorch model on identical inputs.
//   sclm_bench_step <out_dir> <steps> <threads>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

#include "api.h"
#include "data/batch.h"
#include "model/classifier.h"
#include "util/backend.h"
#include "../tests/real_data.h"

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : ".";
  const int steps = argc > 2 ? std::atoi(argv[2]) : 30;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  sclm::configure_runtime(threads);
  const auto data = sclm_test::load_pbmc_subset();
  sclm::ModelConfig config;  // scLMConfig() defaults
  config.dim = 32;
  config.ff_dim = 64;
  config.n_features = data.n_rows;
  config.n_classes = data.n_classes;
  const sclm::TokenizerConfig tokenizer_config{256, 30, 1e4, 3.0};
  config = sclm::complete_config(config, tokenizer_config);
  const sclm::Tokenizer tokenizer(tokenizer_config, data.identity_map(), data.n_rows);
  const auto store = tokenizer.tokenize_all(data.view());

  std::mt19937_64 rng(1);
  std::vector<int> cells(data.n_cols);
  for (int c = 0; c < data.n_cols; ++c) cells[c] = c;
  std::ofstream dump(out + "/batches.txt");
  std::vector<sclm::TokenBatch> batches;
  std::vector<torch::Tensor> targets;
  for (int s = 0; s < steps; ++s) {
    std::shuffle(cells.begin(), cells.end(), rng);
    std::vector<int> batch_cells(cells.begin(), cells.begin() + 32);
    auto batch = sclm::make_batch(store, batch_cells);
    std::vector<int64_t> y;
    for (int c : batch_cells) y.push_back(data.labels[c]);
    dump << batch.genes.size(0) << " " << batch.genes.size(1) << "\n";
    for (const auto& t : {batch.genes, batch.values, batch.padding.to(torch::kInt64), torch::tensor(y)}) {
      auto flat = t.flatten();
      auto a = flat.accessor<int64_t, 1>();
      for (int64_t k = 0; k < flat.size(0); ++k) dump << a[k] << (k + 1 < flat.size(0) ? ' ' : '\n');
    }
    batches.push_back(batch);
    targets.push_back(torch::tensor(y));
  }
  torch::manual_seed(1);
  sclm::CellClassifier model(config);
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(0.01));
  auto step = [&](int s) {
    optimizer.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(batches[s]), targets[s]);
    loss.backward();
    torch::nn::utils::clip_grad_norm_(model->parameters(), 1.0);
    optimizer.step();
  };
  for (int s = 0; s < 3; ++s) step(s);  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) step(s);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / steps;
  std::printf("scLM LibTorch C++: %.2f ms/step (batch 32, %d steps, %d threads)\n", ms, steps, threads);
  return 0;
}
