// Masking for pretraining: which positions of a batch are hidden and what the model must predict.
#pragma once

#include <torch/torch.h>

#include <random>

#include "config/settings.h"
#include "data/batch.h"

namespace sclm {

enum class MaskTarget {
  kValue,  // hide the value token, predict the value class (bins, value bins)
  kGene    // hide the gene token, predict the gene (rank: the value is the position)
};

struct MaskedBatch {
  TokenBatch input;
  torch::Tensor targets;  // [B, L] int64: the class to predict, -100 where not masked
};

// Per cell, round(mask_fraction * n) of its n candidate positions (at least one) are masked:
// gene positions, except value-0 ones for value targets, so zeros are never masked. With balanced_masking (value
// targets only), each value class present in the cell gets an equal quota of masks (capped by its
// size), as annATAC does for its rare high-value classes. A masked token is replaced by MASK
// with probability mask_replace and kept otherwise.
MaskedBatch mask_batch(const TokenBatch& batch, MaskTarget target, const PretrainConfig& config, std::mt19937_64& rng);

}  // namespace sclm
