// What a training run reports to its host: progress while it runs, and its result. Torch-free.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace sclm {

struct EpochStats {
  int epoch = 0;
  double train_loss = 0, train_accuracy = 0;
  double val_loss = 0, val_accuracy = 0;  // NaN without a validation split
  double learning_rate = 0;
  double seconds = 0;
  int model = 0;  // which of train_classifiers()'s runs (0-based)
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

}  // namespace sclm
