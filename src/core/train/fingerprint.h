// A string that identifies a training run's settings and data, stored in its checkpoints so a
// resume cannot silently continue a different run.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "api.h"
#include "util/checksum.h"

namespace sclm {

template <typename T>
std::string vector_hash(const std::vector<T>& v) {
  return fnv1a64_hex(reinterpret_cast<const unsigned char*>(v.data()), v.size() * sizeof(T));
}

inline std::string token_hash(const TokenStore& tokens) { return vector_hash(tokens.genes) + vector_hash(tokens.values); }

inline std::string run_fingerprint(const std::string& kind, const ModelConfig& m, const TokenizerConfig& t,
                                   const TrainConfig& train, const std::string& data, const std::string& extra) {
  const auto& sv = m.subvectors;
  std::ostringstream s;
  s << kind << ";f" << m.n_features << ";c" << m.n_classes << ";d" << m.dim << ";l" << m.n_layers << ";h" << m.n_heads
    << ";ff" << m.ff_dim << ";do" << m.dropout << ";a" << static_cast<int>(m.attention.kind) << ","
    << m.attention.performer_features << "," << m.attention.linformer_k << "," << m.share_projection << ","
    << m.redraw_interval << ";head" << static_cast<int>(m.head) << ";tok" << static_cast<int>(t.kind) << ","
    << t.max_tokens << "," << t.max_bin << "," << t.bins_per_log2 << "," << t.full_length << "," << t.zero_share
    << ";e" << train.epochs << ";b" << train.batch_size << ";lr" << train.learning_rate << ";wd" << train.weight_decay
    << ";v" << train.validation_fraction << ";p" << train.patience << ";s" << train.seed << ";ls"
    << train.label_smoothing << ";td" << train.token_dropout << ";lb" << train.length_bucketing << ";pr" << train.precision << ";w" << train.distributed.world_size << ";tb" << train.trainable_blocks << ";cw"
    << vector_hash(train.class_weights) << ";init" << fnv1a64_hex(reinterpret_cast<const unsigned char*>(train.init_encoder.data()), train.init_encoder.size())
    << ";fv" << vector_hash(train.feature_vectors) << "," << train.freeze_features
    << ";sv" << vector_hash(sv.scales) << "," << sv.light_layers << "," << sv.sharpness << "," << sv.keep_share << ","
    << sv.contrastive_weight << "," << sv.temperature << "," << sv.mutual_weight << "," << sv.selection_weight
    << ";data" << data << ";" << extra;
  return s.str();
}

}  // namespace sclm
