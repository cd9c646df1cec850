// Batched inference: tokenize a batch of cells, run the model, copy results out.
// Only one batch of cells is ever tokenized or on the device at a time.
#include <algorithm>
#include <cstring>

#include "api.h"
#include "data/batch.h"
#include "model/classifier.h"
#include "model/sctrans.h"
#include "util/backend.h"

namespace sclm {
namespace {

// Loads `weights` into `model` and feeds it one batch of cells at a time:
// consume(model, input(first cell, end cell, device), first cell).
template <typename Module, typename MakeInput, typename Consumer>
void for_each_batch(Module model, const std::string& weights, const CscView& counts, const RunConfig& run,
                    const std::function<bool()>& interrupted, const MakeInput& input, const Consumer& consume) {
  counts.validate();
  if (run.batch_size < 1) throw std::invalid_argument("batch_size must be at least 1");
  const auto precision = parse_precision(run.precision);
  const auto device = resolve_device(run.device);
  configure_runtime(run.num_threads);
  deserialize_module(*model, weights, device);
  model->to(device);
  model->eval();
  torch::NoGradGuard no_grad;
  torch::InferenceMode inference_mode;
  for (int start = 0; start < counts.n_cols; start += run.batch_size) {
    if (interrupted && interrupted()) throw Interrupted();
    auto batch = input(start, std::min(counts.n_cols, start + run.batch_size), device);
    AutocastScope autocast(device, precision);
    consume(model, batch, start);
  }
}

struct TokenInput {
  TokenStore store;
  TokenBatch batch;
};

// Token models (CellClassifier or TokenEncoder): consume(module, batch, store, first cell).
template <typename Module, typename Consumer>
void run_batches(const std::string& weights, const ModelConfig& model_config, const TokenizerConfig& tokenizer_config,
                 const CscView& counts, const std::vector<int>& feature_map, const RunConfig& run,
                 const std::function<bool()>& interrupted, const Consumer& consume) {
  const ModelConfig config = complete_config(model_config, tokenizer_config);
  const Tokenizer tokenizer(tokenizer_config, feature_map, config.n_features);
  for_each_batch(
      Module(config), weights, counts, run, interrupted,
      [&](int start, int end, const torch::Device& device) {
        TokenInput in;
        std::vector<int> cells;
        for (int j = start; j < end; ++j) {
          tokenizer.tokenize(counts, j, in.store);
          cells.push_back(j - start);
        }
        in.batch = make_batch(in.store, cells).to(device);
        return in;
      },
      [&](Module& m, const TokenInput& in, int start) { consume(m, in.batch, in.store, start); });
}

// SCTrans models (`model` built by the caller): dense expression levels [B, G];
// consume(module, levels, first cell).
template <typename Module, typename Consumer>
void run_level_batches(Module model, const std::string& weights, const ModelConfig& config,
                       const TokenizerConfig& tokenizer, const CscView& counts, const std::vector<int>& feature_map,
                       const RunConfig& run, const std::function<bool()>& interrupted, const Consumer& consume) {
  for_each_batch(
      model, weights, counts, run, interrupted,
      [&](int start, int end, const torch::Device& device) {
        LevelStore store;
        append_levels(counts, feature_map, config.n_features, tokenizer.scale_factor, start, end, store);
        std::vector<int> cells(end - start);
        for (int c = 0; c < end - start; ++c) cells[c] = c;
        return dense_levels(store, cells, config.n_features).to(device);
      },
      consume);
}

// A completed SCTrans configuration, checked.
ModelConfig subvector_config(const ModelConfig& model, const TokenizerConfig& tokenizer) {
  const ModelConfig config = complete_config(model, tokenizer);
  check_subvector_config(config, tokenizer);
  return config;
}

// Writes a batch's rows [B, width] into the row-major output that starts at cell `start`.
void copy_rows(const torch::Tensor& rows, std::vector<float>& out, int start) {
  const auto cpu = rows.to(torch::kCPU, torch::kFloat32).contiguous();
  std::memcpy(out.data() + static_cast<std::size_t>(start) * cpu.size(1), cpu.data_ptr<float>(),
              sizeof(float) * cpu.numel());
}

}  // namespace

Classification classify_cells(const std::string& weights, const ModelConfig& model, const TokenizerConfig& tokenizer,
                              const CscView& counts, const std::vector<int>& feature_map, const RunConfig& run,
                              const std::function<bool()>& interrupted, bool with_embeddings) {
  return with_torch_errors([&] {
    Classification out;
    const int n_classes = model.n_classes, width = embedding_width(model);
    out.logits.resize(static_cast<std::size_t>(counts.n_cols) * n_classes);
    if (with_embeddings) out.embeddings.resize(static_cast<std::size_t>(counts.n_cols) * width);
    if (is_subvector_model(model)) {
      const auto config = subvector_config(model, tokenizer);
      run_level_batches(SctransClassifier(config), weights, config, tokenizer, counts, feature_map, run, interrupted,
                        [&](SctransClassifier& m, const torch::Tensor& levels, int start) {
                          torch::Tensor pooled;
                          copy_rows(m->forward(levels, with_embeddings ? &pooled : nullptr), out.logits, start);
                          if (with_embeddings) copy_rows(pooled, out.embeddings, start);
                        });
      return out;
    }
    run_batches<CellClassifier>(weights, model, tokenizer, counts, feature_map, run, interrupted,
                                [&](CellClassifier& m, const TokenBatch& batch, const TokenStore&, int start) {
                                  torch::Tensor pooled;
                                  const auto logits = m->forward(batch, with_embeddings ? &pooled : nullptr);
                                  copy_rows(logits, out.logits, start);
                                  if (with_embeddings) copy_rows(pooled, out.embeddings, start);
                                });
    return out;
  });
}

std::vector<float> embed_cells(const std::string& encoder_weights, const ModelConfig& model,
                               const TokenizerConfig& tokenizer, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted) {
  return with_torch_errors([&] {
    std::vector<float> out(static_cast<std::size_t>(counts.n_cols) * embedding_width(model));
    if (is_subvector_model(model)) {
      const auto config = subvector_config(model, tokenizer);
      run_level_batches(SubvectorEncoder(config, config.n_layers), encoder_weights, config, tokenizer, counts,
                        feature_map, run, interrupted, [&](SubvectorEncoder& m, const torch::Tensor& levels, int start) {
                          copy_rows(m->pool(m(levels)), out, start);
                        });
      return out;
    }
    run_batches<TokenEncoder>(encoder_weights, model, tokenizer, counts, feature_map, run, interrupted,
                              [&](TokenEncoder& m, const TokenBatch& batch, const TokenStore&, int start) {
                                copy_rows(m->pool(m->forward(batch), batch), out, start);
                              });
    return out;
  });
}

AttentionScores gene_attention(const std::string& encoder_weights, const ModelConfig& model,
                               const TokenizerConfig& tokenizer, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted) {
  return with_torch_errors([&] {
    if (is_subvector_model(model))
      throw std::invalid_argument("SCTrans models score sub-vectors, not genes: use salient_subvectors");
    AttentionScores out;
    run_batches<TokenEncoder>(encoder_weights, model, tokenizer, counts, feature_map, run, interrupted,
                              [&](TokenEncoder& m, const TokenBatch& batch, const TokenStore& store, int start) {
                                torch::Tensor weights;
                                m->forward(batch, &weights);
                                const auto cpu = weights.to(torch::kCPU, torch::kFloat32).contiguous();
                                auto a = cpu.accessor<float, 2>();
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

Salience salient_subvectors(const std::string& weights, const ModelConfig& model, const TokenizerConfig& tokenizer,
                            const CscView& counts, const std::vector<int>& feature_map, const RunConfig& run,
                            const std::function<bool()>& interrupted) {
  return with_torch_errors([&] {
    const auto config = subvector_config(model, tokenizer);
    Salience out;
    out.n_tokens = config.attention.max_length;
    out.scores.resize(static_cast<std::size_t>(counts.n_cols) * out.n_tokens);
    out.mask.resize(out.scores.size());
    out.logits.resize(static_cast<std::size_t>(counts.n_cols) * config.n_classes);
    run_level_batches(SctransClassifier(config), weights, config, tokenizer, counts, feature_map, run, interrupted,
                      [&](SctransClassifier& m, const torch::Tensor& levels, int start) {
                        const auto o = m->forward_all(levels);
                        copy_rows(o.scores, out.scores, start);
                        copy_rows(o.mask, out.mask, start);
                        copy_rows(o.logits, out.logits, start);
                      });
    return out;
  });
}

void validate_weights(const std::string& weights, const std::string& encoder_weights, const ModelConfig& model,
                      const TokenizerConfig& tokenizer) {
  with_torch_errors([&] {
    const torch::Device cpu(torch::kCPU);
    if (is_subvector_model(model)) {
      const auto config = subvector_config(model, tokenizer);
      if (!weights.empty()) {
        SctransClassifier classifier(config);
        deserialize_module(*classifier, weights, cpu);
      }
      SubvectorEncoder encoder(config, config.n_layers);
      deserialize_module(*encoder, encoder_weights, cpu);
      return 0;
    }
    const ModelConfig config = complete_config(model, tokenizer);
    if (!weights.empty()) {
      CellClassifier classifier(config);
      deserialize_module(*classifier, weights, cpu);
    }
    TokenEncoder encoder(config);
    deserialize_module(*encoder, encoder_weights, cpu);
    return 0;
  });
}

}  // namespace sclm
