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

// Loads the model and feeds it one batch of tokenized cells at a time:
// consume(model, batch, store, first cell of the batch).
using BatchConsumer = std::function<void(CellClassifier&, const TokenBatch&, const TokenStore&, int)>;

void run_batches(const std::string& weights, const ModelConfig& config, const TokenizerConfig& tokenizer_config,
                 const CscView& counts, const std::vector<int>& feature_map, const RunConfig& run,
                 const std::function<bool()>& interrupted, const BatchConsumer& consume) {
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
  for (int start = 0; start < counts.n_cols; start += run.batch_size) {
    if (interrupted && interrupted()) throw Interrupted();
    const int end = std::min(counts.n_cols, start + run.batch_size);
    TokenStore store;
    std::vector<int> cells;
    for (int j = start; j < end; ++j) {
      tokenizer.tokenize(counts, j, store);
      cells.push_back(j - start);
    }
    consume(model, make_batch(store, cells).to(device), store, start);
  }
}

// Row-major n_cells x width output of a per-batch function.
std::vector<float> run_rows(const std::string& weights, const ModelConfig& config,
                            const TokenizerConfig& tokenizer, const CscView& counts,
                            const std::vector<int>& feature_map, const RunConfig& run,
                            const std::function<bool()>& interrupted, int width,
                            const std::function<torch::Tensor(CellClassifier&, const TokenBatch&)>& fn) {
  return with_torch_errors([&] {
    std::vector<float> out(static_cast<std::size_t>(counts.n_cols) * width);
    run_batches(weights, config, tokenizer, counts, feature_map, run, interrupted,
                [&](CellClassifier& model, const TokenBatch& batch, const TokenStore&, int start) {
                  auto result = fn(model, batch).to(torch::kCPU, torch::kFloat32).contiguous();
                  std::memcpy(out.data() + static_cast<std::size_t>(start) * width, result.data_ptr<float>(),
                              sizeof(float) * result.numel());
                });
    return out;
  });
}

}  // namespace

std::vector<float> predict_probabilities(const std::string& weights, const ModelConfig& model,
                                         const TokenizerConfig& tokenizer, const CscView& counts,
                                         const std::vector<int>& feature_map, const RunConfig& run,
                                         const std::function<bool()>& interrupted) {
  return run_rows(weights, model, tokenizer, counts, feature_map, run, interrupted, model.n_classes,
                     [](CellClassifier& m, const TokenBatch& b) { return torch::softmax(m->forward(b), 1); });
}

std::vector<float> embed_cells(const std::string& weights, const ModelConfig& model,
                               const TokenizerConfig& tokenizer, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted) {
  return run_rows(weights, model, tokenizer, counts, feature_map, run, interrupted, 2 * model.dim,
                     [](CellClassifier& m, const TokenBatch& b) { return m->embed(b); });
}

AttentionScores gene_attention(const std::string& weights, const ModelConfig& model,
                               const TokenizerConfig& tokenizer, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted) {
  return with_torch_errors([&] {
    AttentionScores out;
    run_batches(weights, model, tokenizer, counts, feature_map, run, interrupted,
                [&](CellClassifier& m, const TokenBatch& batch, const TokenStore& store, int start) {
                  auto scores = m->cls_attention(batch).to(torch::kCPU, torch::kFloat32).contiguous();
                  auto a = scores.accessor<float, 2>();
                  for (int c = 0; c < store.n_cells(); ++c)
                    for (int t = 0; t < store.length(c); ++t) {  // position t + 1: after CLS
                      out.cell.push_back(start + c);
                      out.feature.push_back(store.genes[store.offsets[c] + t] - kGeneTokenOffset);
                      out.score.push_back(a[c][t + 1]);
                    }
                });
    return out;
  });
}

void validate_weights(const std::string& weights, const ModelConfig& config) {
  with_torch_errors([&] {
    CellClassifier model(config);
    deserialize_module(*model, weights, torch::Device(torch::kCPU));
    return 0;
  });
}

}  // namespace sclm
