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
#include "model/attention_config.h"

namespace sclm {

enum class HeadKind { kMlp, kCnn };

// SCTrans (Lin et al. 2024): tokens are sub-vectors of a cell's expression at several scales
// (data/subvectors.h) instead of (gene, value) pairs; the tokenizer kind is kSubvectors.
// Fine-tuning adds a supervised contrastive term and the gene-selection module: scores S of the
// tokens (a query from the cell's mean state against the token keys, standardised per cell) give a
// soft mask M = sigmoid(sharpness * (S - theta)), theta learned, that weights the sub-vectors of a
// lightweight second encoder trained with the main one by mutual learning (KL both ways).
struct SubvectorConfig {
  std::vector<int> scales;        // empty: a token model
  int light_layers = 1;           // blocks of the second encoder
  double sharpness = 10;          // T in M = sigmoid(T (S - theta))
  double keep_share = 0.25;       // target mean of M (a squared penalty keeps the selection sparse)
  double contrastive_weight = 0.1;
  double temperature = 0.1;       // of the supervised contrastive term
  double mutual_weight = 1.0;     // of the two KL terms
  double selection_weight = 1.0;  // of the sparsity penalty
};

struct ModelConfig {
  int n_features = 0;   // vocabulary size (genes)
  int n_classes = 0;    // labels; 0 for an encoder without a classifier head
  int dim = 64;
  int n_layers = 2;
  int n_heads = 4;
  int ff_dim = 128;
  double dropout = 0.1;
  AttentionConfig attention;     // max_length is set from the tokenizer (see complete_config)
  bool share_projection = false; // Linformer: one length projection for all layers
  int redraw_interval = 0;       // Performer: redraw random features every n training steps (0: never)
  // kMlp: MLP on the pooled embedding; kCnn: scBERT's 1 x dim convolution giving one score per
  // gene token, then fully connected layers over the n_features + 1 gene slots (CLS first).
  HeadKind head = HeadKind::kMlp;
  int n_values = 0;     // value vocabulary; set from the tokenizer (see complete_config)
  // The pooled mean covers expressed (value > 0) positions only; set for full-length tokenizers
  // (see complete_config), whose sequences are mostly zeros that would drown the cell's signal.
  bool pool_expressed = false;
  SubvectorConfig subvectors;
};

inline bool is_subvector_model(const ModelConfig& model) { return !model.subvectors.scales.empty(); }

// Width of a model's cell embedding: 2 * dim (CLS state and mean of the gene states), or for
// SCTrans n_scales * dim (the mean state of each scale's tokens).
inline int embedding_width(const ModelConfig& model) {
  return is_subvector_model(model) ? static_cast<int>(model.subvectors.scales.size()) * model.dim : 2 * model.dim;
}

// The model a tokenizer feeds: n_values = max_value + 1, attention.max_length = longest sequence
// (CLS included), pool_expressed = full length. Every core entry point applies it, so hosts never
// set these fields.
ModelConfig complete_config(ModelConfig model, const TokenizerConfig& tokenizer);

// Data-parallel training over processes (torchrun's convention): every process runs the same
// training; each takes its share of every batch and gradients are averaged with c10d (Gloo).
struct DistributedConfig {
  int rank = 0;
  int world_size = 1;  // 1: a single process, nothing is set up
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double timeout_seconds = 300;
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
  bool length_bucketing = false; // training batches of cells with similar token counts (less padding)
  std::vector<float> class_weights;  // empty: unweighted cross-entropy
  std::uint64_t seed = 1;
  int num_threads = 0;           // 0: leave LibTorch's setting alone
  std::string device = "cpu";
  std::string precision = "fp32";  // "bf16": autocast forward passes (util/backend.h)
  std::string checkpoint;        // written (atomically) after every epoch when not empty
  bool resume = false;           // continue from `checkpoint` when it exists
  // Fine-tuning: encoder weights to start from (empty: random) and the blocks that train:
  // -1 all (embeddings included), 0 the head only, n the top n blocks and the head.
  std::string init_encoder;
  int trainable_blocks = -1;
  // Fixed feature vectors (annATAC's SVD position embedding of peak islands): n_features x dim,
  // row-major, copied into the feature (gene) embedding of a model trained from scratch; empty:
  // the embedding starts random. freeze_features keeps the feature embedding as it starts.
  std::vector<float> feature_vectors;
  bool freeze_features = false;
  DistributedConfig distributed;
};

struct PretrainConfig {
  double mask_fraction = 0.15;  // share of non-zero positions masked per cell
  double mask_replace = 0.9;    // share of masked positions replaced by MASK (the rest keep their token)
  bool balanced_masking = false;  // equal masks per value class in a cell (annATAC)
  // Weight of a contrastive term (0: off): two views of each cell, each keeping a random half of
  // its tokens, must have matching cell embeddings among the batch (InfoNCE), so the embedding
  // learns what makes cells alike rather than only per-gene expression levels.
  double contrastive_weight = 0.0;
  double temperature = 0.1;
};

struct RunConfig {  // inference
  int batch_size = 256;
  int num_threads = 0;
  std::string device = "cpu";
  std::string precision = "fp32";
  bool length_bucketing = true;  // batches of cells of similar token counts; false: input order
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
