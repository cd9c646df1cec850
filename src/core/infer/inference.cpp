// Batched inference: tokenize a batch of cells, run the model, copy results out.
// Only one batch of cells is ever tokenized or on the device at a time.
#include <algorithm>
#include <cstring>

#include "api.h"
#include "data/batch.h"
#include "model/classifier.h"
#include "util/backend.h"

namespace sclm {
namespace {

using BatchFn = std::function<torch::Tensor(CellClassifier&, const TokenBatch&)>;

std::vector<float> run_batches(const std::string& weights, const ModelConfig& config,
                               const TokenizerConfig& tokenizer_config, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted, int width, const BatchFn& fn) {
  return with_torch_errors([&] {
    counts.validate();
    if (run.batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
    const auto device = resolve_device(run.device);
    configure_runtime(run.num_threads);
    CellClassifier model(config);
    deserialize_module(*model, weights, device);
    model->to(device);
    model->eval();
    torch::NoGradGuard no_grad;
    torch::InferenceMode inference_mode;

    const BinTokenizer tokenizer(tokenizer_config, feature_map, config.n_features);
    std::vector<float> out(static_cast<std::size_t>(counts.n_cols) * width);
    for (int start = 0; start < counts.n_cols; start += run.batch_size) {
      if (interrupted && interrupted()) throw Interrupted();
      const int end = std::min(counts.n_cols, start + run.batch_size);
      TokenStore store;
      std::vector<int> cells;
      for (int j = start; j < end; ++j) {
        tokenizer.tokenize(counts, j, store);
        cells.push_back(j - start);
      }
      auto result = fn(model, make_batch(store, cells).to(device)).to(torch::kCPU, torch::kFloat32).contiguous();
      std::memcpy(out.data() + static_cast<std::size_t>(start) * width, result.data_ptr<float>(),
                  sizeof(float) * result.numel());
    }
    return out;
  });
}

}  // namespace

std::vector<float> predict_probabilities(const std::string& weights, const ModelConfig& model,
                                         const TokenizerConfig& tokenizer, const CscView& counts,
                                         const std::vector<int>& feature_map, const RunConfig& run,
                                         const std::function<bool()>& interrupted) {
  return run_batches(weights, model, tokenizer, counts, feature_map, run, interrupted, model.n_classes,
                     [](CellClassifier& m, const TokenBatch& b) { return torch::softmax(m->forward(b), 1); });
}

std::vector<float> embed_cells(const std::string& weights, const ModelConfig& model,
                               const TokenizerConfig& tokenizer, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted) {
  return run_batches(weights, model, tokenizer, counts, feature_map, run, interrupted, 2 * model.dim,
                     [](CellClassifier& m, const TokenBatch& b) { return m->embed(b); });
}

void validate_weights(const std::string& weights, const ModelConfig& config) {
  with_torch_errors([&] {
    CellClassifier model(config);
    deserialize_module(*model, weights, torch::Device(torch::kCPU));
    return 0;
  });
}

}  // namespace sclm
