// scLM core: the facade. Entry points only, on top of everything they use; nothing in the core
// includes this header, and hosts (the R glue) include nothing else from the core. Torch-free
// and R-free, so host translation units compile fast. What it includes is part of the facade:
// the settings (config/settings.h), sparse views and stores of cells, training results, and the
// torch-free helpers hosts call as they are (normalisation statistics, peaks, the model file's
// data format, checksums).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "config/settings.h"
#include "data/cell_store.h"
#include "data/csc.h"
#include "data/normalize.h"
#include "data/peaks.h"
#include "data/thinning.h"
#include "data/value_scan.h"
#include "train/train_result.h"
#include "util/backend_info.h"
#include "util/checksum.h"
#include "util/column_order_statistic.h"
#include "util/data_file.h"

namespace sclm {

// Tokens of the cells (columns) of `counts` as `tokenizer` makes them, for a vocabulary of
// n_features genes; feature_map[row] is the vocabulary index of each input row, or -1 to ignore
// the row. cell_ids (one per column; empty: 0, 1, ...) seed the value-bin zero sampling.
TokenStore tokenize_cells(const CscView& counts, const std::vector<int>& feature_map, int n_features,
                          const TokenizerConfig& tokenizer, const std::vector<long>& cell_ids = {});

// Appends the cells (columns) of `counts` to `store` as its model reads them (tokens, with cell
// ids first_cell_id, first_cell_id + 1, ...; or SCTrans's expression levels), so a host reading
// on-disk data fills a store block by block. Returns the number of cells in the store.
int store_cells(CellStore& store, const CscView& counts, const std::vector<int>& feature_map, long first_cell_id);

// Fine-tuning of a classifier on the cells of `cells` (filled with store_cells() for this model
// and tokenizer): labels[cell] in [0, n_classes). From the encoder weights train.init_encoder
// when given (pretrain_encoder's), else from scratch.
TrainResult train_classifier(const CellStore& cells, const std::vector<int>& labels, const ModelConfig& model,
                             const TokenizerConfig& tokenizer, const TrainConfig& train,
                             const TrainCallbacks& callbacks);

// Fine-tuning of one classifier per entry of `members` (an ensemble: the same cells, each run with
// its own settings and seed), as train_classifier() would train each alone. On the CPU with more
// than one thread (members[0].num_threads, or LibTorch's count when 0) the runs train side by side
// on min(runs, threads) threads of threads / workers LibTorch threads each: the models of an
// ensemble are too small to use many cores each. After an interrupt the runs not yet started come
// back with interrupted set and no epoch.
std::vector<TrainResult> train_classifiers(const CellStore& cells, const std::vector<int>& labels,
                                           const ModelConfig& model, const TokenizerConfig& tokenizer,
                                           const std::vector<TrainConfig>& members, const TrainCallbacks& callbacks);

// Pretraining of an encoder on unlabeled cells: masked value prediction for token models (masked
// gene prediction for the rank tokenizer, with an optional contrastive term), masked sub-vector
// completion for SCTrans models. The history reports the masked loss (and accuracy) on the
// training cells and a random validation share.
TrainResult pretrain_encoder(const CellStore& cells, const ModelConfig& model, const TokenizerConfig& tokenizer,
                             const TrainConfig& train, const PretrainConfig& pretrain, const TrainCallbacks& callbacks);

// SCTrans gene selection for cells: per cell and token (row-major n_cells x n_tokens), the
// standardised selection score S and the mask M in [0, 1]; and the logits predictions read
// (SctransClassifierImpl::predicted).
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

}  // namespace sclm
