// Training-step time of the scLM classifier on real cells, with the model FLOPs of a step (matrix
// products, forward + backward) for MFU. Writes the exact batches it used to <out>/batches.txt so
// bench/train_step_pytorch.py can time an identical plain-PyTorch model on identical inputs.
//   sclm_bench_step [out=.] [steps=30] [threads=2] [device=cpu] [precision=fp32] [dim=32] [layers=2]
//                   [heads=4] [ff=64] [tokens=256] [batch=32] [genes=0] [full_length=0] [max_bin=30]
//                   [data=<tests/data>] [stem=pbmc_subset] [optimizer=1]
// optimizer=0 times forward + backward alone (no clipping, no AdamW step), to split the step.
// sdp=cudnn|efficient|flash|math (LibTorch 2.x) leaves only that fused-attention kernel enabled.
// profile=<file.json> (LibTorch 2.x) then records 3 more steps with the Kineto profiler (host ops and
// CUDA kernels) as a Chrome trace; bench/kernel_profile.py compares it with PyTorch's.
// genes > 0 keeps the genes detected in most cells; full_length=1 gives every cell all of them
// (sequence length genes + 1), as scBERT does.
#include <torch/version.h>
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/autograd/profiler_kineto.h>
#endif

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>

#include "api.h"
#include "bench_options.h"
#include "data/batch.h"
#include "model/classifier.h"
#include "train/adamw.h"
#include "train/loop.h"
#include "util/backend.h"

int main(int argc, char** argv) {
  const sclm_bench::Options o(argc, argv, {{"out", "."}, {"steps", "30"}, {"threads", "2"}, {"device", "cpu"},
                                           {"precision", "fp32"}, {"dim", "32"}, {"layers", "2"}, {"heads", "4"},
                                           {"ff", "64"}, {"tokens", "256"}, {"batch", "32"}, {"genes", "0"},
                                           {"full_length", "0"}, {"max_bin", "30"}, {"data", SCLM_TEST_DATA},
                                           {"stem", "pbmc_subset"}, {"optimizer", "1"}, {"sdp", ""}, {"profile", ""}});
#if TORCH_VERSION_MAJOR >= 2
  if (const auto only = o.str("sdp"); !only.empty()) {
    auto& context = at::globalContext();
    context.setSDPUseFlash(only == "flash");
    context.setSDPUseMemEfficient(only == "efficient");
    context.setSDPUseMath(only == "math");
    context.setSDPUseCuDNN(only == "cudnn");
  }
#endif
  const bool optimize = o.integer("optimizer") != 0;
  const int steps = o.integer("steps"), batch_size = o.integer("batch");
  sclm::configure_runtime(o.integer("threads"));
  const auto device = sclm::resolve_device(o.str("device"));
  const auto precision = sclm::parse_precision(o.str("precision"));
  const auto data = sclm_test::load_cells(o.str("data"), o.str("stem"));
  const int n_genes = o.integer("genes") > 0 ? o.integer("genes") : data.n_rows;
  const auto feature_map = sclm_bench::most_detected_genes(data, n_genes);

  sclm::ModelConfig config;
  config.dim = o.integer("dim");
  config.n_layers = o.integer("layers");
  config.n_heads = o.integer("heads");
  config.ff_dim = o.integer("ff");
  config.n_features = n_genes;
  config.n_classes = data.n_classes;
  sclm::TokenizerConfig tokenizer_config{o.integer("tokens"), o.integer("max_bin"), 1e4, 3.0};
  tokenizer_config.full_length = o.integer("full_length") != 0;
  config = sclm::complete_config(config, tokenizer_config);
  const sclm::Tokenizer tokenizer(tokenizer_config, feature_map, n_genes);
  const auto store = tokenizer.tokenize_all(data.view());

  std::mt19937_64 rng(1);
  std::vector<int> cells(data.n_cols);
  for (int c = 0; c < data.n_cols; ++c) cells[c] = c;
  std::ofstream dump(o.str("out") + "/batches.txt");
  std::vector<sclm::TokenBatch> batches;
  std::vector<torch::Tensor> targets;
  for (int s = 0; s < steps; ++s) {
    std::shuffle(cells.begin(), cells.end(), rng);
    std::vector<int> batch_cells(cells.begin(), cells.begin() + batch_size);
    auto batch = sclm::make_batch(store, batch_cells);
    std::vector<int64_t> y;
    for (int c : batch_cells) y.push_back(data.labels[c]);
    dump << batch.genes.size(0) << " " << batch.genes.size(1) << "\n";
    for (const auto& t : {batch.genes, batch.values, batch.padding.to(torch::kInt64), torch::tensor(y)}) {
      auto flat = t.flatten();
      auto a = flat.accessor<int64_t, 1>();
      for (int64_t k = 0; k < flat.size(0); ++k) dump << a[k] << (k + 1 < flat.size(0) ? ' ' : '\n');
    }
    batches.push_back(batch.to(device));
    targets.push_back(torch::tensor(y).to(device));
  }
  // Model FLOPs of a step: the matrix products of every block, forward + backward (3x forward).
  double flops = 0;
  const double D = config.dim, F = config.ff_dim;
  for (const auto& b : batches) {
    const double B = b.genes.size(0), L = b.genes.size(1);
    flops += 3.0 * config.n_layers * (2.0 * B * L * (4 * D * D + 2 * D * F) + 4.0 * B * L * L * D);
  }
  flops /= steps;

  torch::manual_seed(1);
  sclm::CellClassifier model(config);
  model->to(device);
  sclm::ForeachAdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3).weight_decay(0.01));
  auto step = [&](int s) {
    optimizer.zero_grad();
    torch::Tensor loss;
    {
      sclm::AutocastScope autocast(device, precision);
      loss = torch::nn::functional::cross_entropy(model->forward(batches[s]), targets[s]);
    }
    loss.backward();
    if (!optimize) return;
    sclm::clip_gradient_norm(model->parameters(), 1.0);
    optimizer.step();
  };
  for (int s = 0; s < 3; ++s) step(s);  // warm-up
  sclm_bench::synchronize(device);
  const auto t0 = std::chrono::steady_clock::now();
  for (int s = 0; s < steps; ++s) step(s);
  sclm_bench::synchronize(device);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / steps;
  std::printf("scLM LibTorch C++ %s: %.2f ms/step (batch %d, seq %ld, %d steps, %s, %s, %d threads%s) flops/step %.4g\n",
              TORCH_VERSION, ms, batch_size, static_cast<long>(batches[0].genes.size(1)), steps, o.str("device").c_str(),
              o.str("precision").c_str(), o.integer("threads"), optimize ? "" : ", forward + backward only", flops);
#if TORCH_VERSION_MAJOR >= 2
  if (const auto path = o.str("profile"); !path.empty()) {
    namespace profiler = torch::autograd::profiler;
    const torch::profiler::impl::ProfilerConfig profile_config(torch::profiler::impl::ProfilerState::KINETO);
    const std::set<torch::profiler::impl::ActivityType> activities{torch::profiler::impl::ActivityType::CPU,
                                                                   torch::profiler::impl::ActivityType::CUDA};
    profiler::prepareProfiler(profile_config, activities);
    profiler::enableProfiler(profile_config, activities);
    for (int s = 0; s < 3; ++s) step(s);
    sclm_bench::synchronize(device);
    profiler::disableProfiler()->save(path);
  }
#endif
  return 0;
}
