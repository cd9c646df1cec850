// The training loop shared by fine-tuning and pretraining: AdamW with warm-up + cosine decay,
// gradient clipping, validation each epoch, early stopping (best weights kept), interrupts, and a
// checkpoint after every epoch from which an interrupted run resumes to the same result.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "config/settings.h"
#include "train/train_result.h"

namespace sclm {

// Tensors stay on the device, so a step never waits for the host to read them back.
struct BatchOutcome {
  torch::Tensor loss;     // mean over the batch's items; differentiable when training
  double items = 0;       // cells, or masked tokens
  torch::Tensor correct;  // scalar count; NaN where accuracy means nothing
};

inline torch::Tensor correct_predictions(const torch::Tensor& logits, const torch::Tensor& y) {
  return logits.argmax(1).eq(y).sum();
}

struct TrainingTask {
  torch::nn::Module* module = nullptr;    // its state is the weights
  std::vector<torch::Tensor> parameters;  // the ones optimised
  std::vector<int> train_cells, validation_cells;
  std::vector<int> lengths;  // tokens per cell, for TrainConfig::length_bucketing
  std::vector<int> labels;   // class per cell (classifiers), for TrainConfig::class_sampling
  // Loss of a batch of cells; training = false runs under no_grad in eval mode.
  std::function<BatchOutcome(const std::vector<int>& cells, std::mt19937_64& rng, bool training)> run_batch;
  std::function<void(long step)> before_step;  // optional, e.g. Performer feature redraws
  std::string fingerprint;                     // settings + data; a checkpoint must match it
};

// The parameters fine-tuning updates (requires_grad set accordingly): all (blocks < 0), or all but
// the encoder's ("encoder." names), plus its top `blocks` blocks and final norm.
std::vector<torch::Tensor> trainable_parameters(torch::nn::Module& model, int blocks, int n_layers);

// Length bucketing: `order` (a shuffled epoch) re-ordered so that each run of `batch_size` cells
// holds cells of similar length: windows of 50 batches are sorted by length, cut into batches,
// and the full batches shuffled (a short last batch stays last).
std::vector<int> bucket_by_length(const std::vector<int>& order, const std::vector<int>& lengths, int batch_size,
                                  std::mt19937_64& rng);

// torch::nn::utils::clip_grad_norm_ (L2, same formula) without its read-back of the norm, so a
// GPU step never waits for the host.
void clip_gradient_norm(const std::vector<torch::Tensor>& parameters, double max_norm);

// The device of a run, after setting the thread count and seeding torch from `config`.
torch::Device start_run(const TrainConfig& config);

// Throws std::invalid_argument for bad settings.
void check_train_config(const TrainConfig& config);

TrainResult run_training(TrainingTask& task, const TrainConfig& config, const TrainCallbacks& callbacks);

}  // namespace sclm
