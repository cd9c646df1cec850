// scLM core: the torch-free interface the R glue (and any other host) calls.
// Nothing here includes torch or R headers, so host translation units compile fast.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/csc.h"
#include "data/tokenizer.h"

namespace sclm {

struct ModelConfig {
  int n_features = 0;   // vocabulary size (genes)
  int n_classes = 0;    // labels; 0 for an encoder without a classifier head
  int dim = 64;
  int n_layers = 2;
  int n_heads = 4;
  int ff_dim = 128;
  double dropout = 0.1;
  int max_bin = 30;     // must equal TokenizerConfig::max_bin
};

struct TrainConfig {
  int epochs = 30;
  int batch_size = 32;
  double learning_rate = 1e-3;
  double weight_decay = 0.01;
  double warmup_fraction = 0.1;  // share of all steps with a linear warm-up, then cosine decay
  double clip_norm = 1.0;
  double validation_fraction = 0.1;
  int patience = 5;              // epochs without validation-loss improvement before stopping
  double label_smoothing = 0.0;
  double token_dropout = 0.0;    // share of a cell's gene tokens dropped at random per training step
  std::vector<float> class_weights;  // empty: unweighted cross-entropy
  std::uint64_t seed = 1;
  int num_threads = 0;           // 0: leave LibTorch's setting alone
  std::string device = "cpu";
};

struct RunConfig {  // inference
  int batch_size = 256;
  int num_threads = 0;
  std::string device = "cpu";
};

struct EpochStats {
  int epoch = 0;
  double train_loss = 0, train_accuracy = 0;
  double val_loss = 0, val_accuracy = 0;  // NaN without a validation split
  double learning_rate = 0;
  double seconds = 0;
};

struct TrainCallbacks {
  std::function<void(int step, int total_steps)> on_step;
  std::function<void(const EpochStats&)> on_epoch;
  std::function<bool()> interrupted;  // polled every step; true stops training cleanly
};

struct TrainResult {
  std::string weights;               // serialized module state of the best epoch
  std::vector<EpochStats> history;
  int best_epoch = 0;
  bool stopped_early = false;
  bool interrupted = false;
  double seconds_per_step = 0;
  long long n_parameters = 0;
};

// Supervised training of a token encoder + classifier on cells (columns) of `counts`.
// feature_map[row] is the vocabulary index of each input row, or -1 to ignore the row.
// labels[cell] in [0, n_classes).
TrainResult train_classifier(const CscView& counts, const std::vector<int>& feature_map,
                             const std::vector<int>& labels, const ModelConfig& model,
                             const TokenizerConfig& tokenizer, const TrainConfig& train,
                             const TrainCallbacks& callbacks);

// Class probabilities, row-major n_cells x n_classes.
std::vector<float> predict_probabilities(const std::string& weights, const ModelConfig& model,
                                         const TokenizerConfig& tokenizer, const CscView& counts,
                                         const std::vector<int>& feature_map, const RunConfig& run,
                                         const std::function<bool()>& interrupted);

// Cell embeddings (pooled encoder output), row-major n_cells x (2 * dim).
std::vector<float> embed_cells(const std::string& weights, const ModelConfig& model,
                               const TokenizerConfig& tokenizer, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted);

// Attention from the CLS token to each of a cell's gene tokens in the last block (mean over
// heads): one (cell, vocabulary index, score) triplet per token; a cell's scores sum to at most 1.
struct AttentionScores {
  std::vector<int> cell;
  std::vector<int> feature;
  std::vector<float> score;
};
AttentionScores gene_attention(const std::string& weights, const ModelConfig& model,
                               const TokenizerConfig& tokenizer, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted);

// Throws std::invalid_argument when `weights` cannot be loaded into a model of this shape.
void validate_weights(const std::string& weights, const ModelConfig& model);

struct BackendInfo {
  std::string torch_version;
  bool cuda_available = false;
  int cuda_device_count = 0;
  int num_threads = 0;
};
BackendInfo backend_info();

// Torch warnings raised during the last calls, oldest first; the buffer is emptied.
std::vector<std::string> take_torch_warnings();

// Thrown when a callback reports a user interrupt outside training.
struct Interrupted : std::exception {
  const char* what() const noexcept override { return "interrupted by the user"; }
};

}  // namespace sclm
