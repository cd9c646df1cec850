// scLM core: the torch-free interface the R glue (and any other host) calls.
// Nothing here includes torch or R headers, so host translation units compile fast.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "data/csc.h"
#include "data/levels.h"
#include "data/tokenizer.h"
#include "config/settings.h"

namespace sclm {

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
  std::string encoder_weights;       // its encoder part (for embeddings, attention, fine-tuning)
  std::vector<int> validation_cells; // cells held out from training (for calibration by the host)
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

// Masked-value pretraining of a token encoder on unlabeled cells of several matrices (masked
// gene prediction for the rank tokenizer). The history reports masked-token loss and accuracy on
// the training cells and a random validation share.
TrainResult pretrain_encoder(const std::vector<MappedMatrix>& data, const ModelConfig& model,
                             const TokenizerConfig& tokenizer, const TrainConfig& train,
                             const PretrainConfig& pretrain, const TrainCallbacks& callbacks);

// The same two trainings of a token model on cells tokenized beforehand with `tokenizer`
// (Tokenizer::tokenize, cell ids counting through all cells): a host reading on-disk data fills
// the store block by block, so only the tokens of its cells are ever in memory. Gives the same
// result as training on the matrices. Throws std::invalid_argument for SCTrans models (they train
// on expression levels, below) and for tokens outside the model's vocabularies.
TrainResult train_classifier(const TokenStore& cells, const std::vector<int>& labels, const ModelConfig& model,
                             const TokenizerConfig& tokenizer, const TrainConfig& train,
                             const TrainCallbacks& callbacks);
TrainResult pretrain_encoder(const TokenStore& cells, const ModelConfig& model, const TokenizerConfig& tokenizer,
                             const TrainConfig& train, const PretrainConfig& pretrain, const TrainCallbacks& callbacks);

// SCTrans models' version of the same: their cells' expression levels (append_levels with the
// tokenizer's scale_factor, cells of all matrices one after another), filled block by block.
// Throws std::invalid_argument for token models and for a malformed store.
TrainResult train_classifier(const LevelStore& cells, const std::vector<int>& labels, const ModelConfig& model,
                             const TokenizerConfig& tokenizer, const TrainConfig& train,
                             const TrainCallbacks& callbacks);
TrainResult pretrain_encoder(const LevelStore& cells, const ModelConfig& model, const TokenizerConfig& tokenizer,
                             const TrainConfig& train, const PretrainConfig& pretrain, const TrainCallbacks& callbacks);

// SCTrans gene selection for cells: per cell and token (row-major n_cells x n_tokens), the
// standardised selection score S and the mask M in [0, 1]; and the main classifier's logits.
struct Salience {
  int n_tokens = 0;
  std::vector<float> scores, mask, logits;
};
Salience salient_subvectors(const std::string& weights, const ModelConfig& model, const TokenizerConfig& tokenizer,
                            const CscView& counts, const std::vector<int>& feature_map, const RunConfig& run,
                            const std::function<bool()>& interrupted);

// Class logits (row-major n_cells x n_classes) and, when asked, the cell embeddings the
// classifier sees (row-major n_cells x embedding_width), from one pass over the cells.
struct Classification {
  std::vector<float> logits;
  std::vector<float> embeddings;
};
Classification classify_cells(const std::string& weights, const ModelConfig& model, const TokenizerConfig& tokenizer,
                              const CscView& counts, const std::vector<int>& feature_map, const RunConfig& run,
                              const std::function<bool()>& interrupted, bool with_embeddings);

// Cell embeddings (pooled encoder output: CLS state, then mean of the gene states), row-major
// n_cells x (2 * dim), from encoder weights.
std::vector<float> embed_cells(const std::string& encoder_weights, const ModelConfig& model,
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
AttentionScores gene_attention(const std::string& encoder_weights, const ModelConfig& model,
                               const TokenizerConfig& tokenizer, const CscView& counts,
                               const std::vector<int>& feature_map, const RunConfig& run,
                               const std::function<bool()>& interrupted);

// Throws std::invalid_argument when the weights cannot be loaded into a model of this shape
// (classifier weights are skipped when empty).
void validate_weights(const std::string& weights, const std::string& encoder_weights, const ModelConfig& model,
                      const TokenizerConfig& tokenizer);

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
