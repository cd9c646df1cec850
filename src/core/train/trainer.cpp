// The two training entry points (api.h): fine-tuning a classifier and pretraining an encoder, on a
// store of cells. The store's family (tokens or SCTrans levels) picks the objective
// (train/objectives.h); the loop (train/loop.h) is the same for all.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <random>
#include <thread>

#include "api.h"
#include "model/encoder.h"
#include "model/sctrans.h"
#include "train/fingerprint.h"
#include "train/loop.h"
#include "train/objectives.h"
#include "train/split.h"
#include "util/backend.h"
#include "util/blas_kernel.h"

namespace sclm {
namespace {

// Throws std::invalid_argument unless `cells` were stored for this model and tokenizer and are
// well formed.
void check_cells(const CellStore& cells, const ModelConfig& config, const TokenizerConfig& tokenizer) {
  if (cells.holds_levels != is_subvector_model(config))
    throw std::invalid_argument(cells.holds_levels
                                    ? "the cells were stored as expression levels (an SCTrans model); this model reads tokens"
                                    : "the cells were stored as tokens; SCTrans models read expression levels");
  if (cells.n_features != config.n_features)
    throw std::invalid_argument("the cells were stored for a vocabulary of " + std::to_string(cells.n_features) +
                                " features; the model has " + std::to_string(config.n_features));
  if (settings_text(cells.tokenizer) != settings_text(tokenizer))
    throw std::invalid_argument("the cells were stored with other tokenizer settings");
  if (cells.holds_levels) {
    check_subvector_config(config, tokenizer);
    check_levels(cells.levels, config.n_features);
  } else {
    check_tokens(cells.tokens, config.n_features, config.n_values - 1);
  }
}

// One training run: seeds, the validation split (stratified by label; one class without labels),
// the family's objective, the loop, and the best weights.
TrainResult fit(const CellStore& cells, const std::vector<int>* labels, const ModelConfig& config,
                const TokenizerConfig& tokenizer, const TrainConfig& train, const PretrainConfig* pretrain,
                const TrainCallbacks& callbacks) {
  const BlasKernelScope blas;
  std::mt19937_64 rng(train.seed);
  const Split split = labels != nullptr
                          ? stratified_split(*labels, config.n_classes, train.validation_fraction, rng)
                          : stratified_split(std::vector<int>(cells.n_cells(), 0), 1, train.validation_fraction, rng);
  torch::Device device(torch::kCPU);
  Objective objective;
  {
    // A model's initial weights come from LibTorch's global generator, seeded here: one run at a
    // time draws them, so runs on several threads (train_classifiers()) start as they would alone.
    static std::mutex initialising;
    const std::lock_guard<std::mutex> lock(initialising);
    device = start_run(train);
    if (labels != nullptr) {
      auto y = torch::tensor(std::vector<int64_t>(labels->begin(), labels->end()), torch::kInt64);
      objective = cells.holds_levels ? sctrans_classifier(cells.levels, y, config, train, device)
                                     : token_classifier(cells.tokens, y, config, tokenizer, train, device);
    } else {
      objective = cells.holds_levels ? sctrans_pretraining(cells.levels, config, *pretrain, device)
                                     : token_pretraining(cells.tokens, config, tokenizer, train, *pretrain, device);
    }
  }
  TrainingTask task;
  task.module = objective.module.get();
  task.parameters = objective.parameters;
  task.train_cells = split.train;
  task.validation_cells = split.validation;
  task.lengths = objective.lengths;
  if (labels != nullptr) task.labels = *labels;
  task.run_batch = objective.run_batch;
  task.before_step = objective.before_step;
  const std::string data = cells.holds_levels ? data_hash(cells.levels) : data_hash(cells.tokens);
  task.fingerprint = labels != nullptr
                         ? run_fingerprint("classifier", data + vector_hash(*labels), config, tokenizer, train)
                         : run_fingerprint("pretrain", data, config, tokenizer, train, *pretrain);
  TrainResult result = run_training(task, train, callbacks);
  deserialize_module(*task.module, result.weights, device);
  result.encoder_weights = objective.encoder_weights();
  if (labels != nullptr) result.validation_cells = split.validation;
  return result;
}

// The model settings of fine-tuning on `cells` with `labels` in the runs `members`, checked (the
// cells once, whatever the number of runs).
ModelConfig classifier_config(const CellStore& cells, const std::vector<int>& labels, const ModelConfig& model_config,
                              const TokenizerConfig& tokenizer, const std::vector<TrainConfig>& members) {
  if (members.empty()) throw std::invalid_argument("no models to train");
  if (static_cast<int>(labels.size()) != cells.n_cells())
    throw std::invalid_argument("labels must have one entry per cell");
  if (labels.size() < 2) throw std::invalid_argument("training needs at least two cells");
  for (const auto& train : members) check_train_config(train);
  const ModelConfig config = complete_config(model_config, tokenizer);
  check_model_config(config);
  for (const auto& train : members) {
    if (!train.class_weights.empty() && static_cast<int>(train.class_weights.size()) != config.n_classes)
      throw std::invalid_argument("class_weights must have one entry per class");
    if (train.trainable_blocks > config.n_layers)
      throw std::invalid_argument("trainable_blocks exceeds the number of blocks (" + std::to_string(config.n_layers) + ")");
  }
  check_cells(cells, config, tokenizer);
  return config;
}

// Whether the runs of `members` may train side by side, one thread each or more: on the CPU, in
// one process, without checkpoints, with more than one thread to share.
bool side_by_side(const std::vector<TrainConfig>& members, int threads) {
  if (members.size() < 2 || threads < 2) return false;
  return std::all_of(members.begin(), members.end(), [](const TrainConfig& t) {
    return resolve_device(t.device).is_cpu() && t.distributed.world_size <= 1 && t.checkpoint.empty();
  });
}

// The runs of `members` on `workers` threads of `threads_each` LibTorch threads, each taking the
// next run when it finishes one. The calling thread alone talks to the host: it reports the runs'
// steps (summed) and epochs (in the order they end, EpochStats::model saying whose), and polls for
// an interrupt, which stops every run after its current step. A run's error stops the others and
// is rethrown here.
std::vector<TrainResult> fit_side_by_side(const CellStore& cells, const std::vector<int>& labels,
                                          const ModelConfig& config, const TokenizerConfig& tokenizer,
                                          const std::vector<TrainConfig>& members, int workers, int threads_each,
                                          const TrainCallbacks& callbacks) {
  const std::size_t n = members.size();
  std::vector<TrainResult> results(n);
  std::vector<std::exception_ptr> errors(n);
  std::vector<int> steps(n, 0), started(n, 0);
  std::vector<EpochStats> epochs;
  int total_steps = 0;
  std::size_t next = 0, running = static_cast<std::size_t>(workers);
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::condition_variable changed;

  const auto work = [&] {
    for (;;) {
      std::size_t i;
      {
        const std::lock_guard<std::mutex> lock(mutex);
        if (next == n || stop) break;
        i = next++;
        started[i] = 1;
      }
      TrainCallbacks own;
      own.on_step = [&, i](int step, int total) {
        const std::lock_guard<std::mutex> lock(mutex);
        steps[i] = step;
        total_steps = total;
      };
      own.on_epoch = [&, i](const EpochStats& stats) {
        const std::lock_guard<std::mutex> lock(mutex);
        epochs.push_back(stats);
        epochs.back().model = static_cast<int>(i);
        changed.notify_one();
      };
      own.interrupted = [&] { return stop.load(); };
      TrainConfig train = members[i];
      train.num_threads = threads_each;
      try {
        results[i] = with_torch_errors([&] { return fit(cells, &labels, config, tokenizer, train, nullptr, own); });
      } catch (...) {
        errors[i] = std::current_exception();
        stop = true;
      }
    }
    const std::lock_guard<std::mutex> lock(mutex);
    --running;
    changed.notify_one();
  };

  const BlasKernelScope blas;  // held here, so the runs' own scopes leave the kernels alone
  const int host_threads = torch::get_num_threads();
  std::exception_ptr host_error;
  std::vector<std::thread> pool;
  for (int w = 0; w < workers; ++w) pool.emplace_back(work);
  std::unique_lock<std::mutex> lock(mutex);
  for (bool done = false; !done;) {
    changed.wait_for(lock, std::chrono::milliseconds(100));
    done = running == 0;
    std::vector<EpochStats> ended;
    ended.swap(epochs);
    int step = 0;
    for (const int s : steps) step += s;
    const int total = total_steps * static_cast<int>(n);
    lock.unlock();  // the host's callbacks run while the runs go on
    try {
      for (const auto& stats : ended)
        if (callbacks.on_epoch) callbacks.on_epoch(stats);
      if (total > 0 && callbacks.on_step) callbacks.on_step(step, total);
      if (!stop && callbacks.interrupted && callbacks.interrupted()) stop = true;
    } catch (...) {  // the runs stop, and the error is the host's again once they have
      if (!host_error) host_error = std::current_exception();
      stop = true;
    }
    lock.lock();
  }
  lock.unlock();
  for (auto& t : pool) t.join();
  torch::set_num_threads(host_threads);  // the runs set LibTorch's count for new threads to theirs
  if (host_error) std::rethrow_exception(host_error);
  for (const auto& e : errors)
    if (e) std::rethrow_exception(e);
  for (std::size_t i = 0; i < n; ++i)
    if (!started[i]) results[i].interrupted = true;  // stopped before it began: nothing trained
  return results;
}

}  // namespace

TrainResult train_classifier(const CellStore& cells, const std::vector<int>& labels, const ModelConfig& model_config,
                             const TokenizerConfig& tokenizer, const TrainConfig& train,
                             const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    const ModelConfig config = classifier_config(cells, labels, model_config, tokenizer, {train});
    return fit(cells, &labels, config, tokenizer, train, nullptr, callbacks);
  });
}

std::vector<TrainResult> train_classifiers(const CellStore& cells, const std::vector<int>& labels,
                                           const ModelConfig& model_config, const TokenizerConfig& tokenizer,
                                           const std::vector<TrainConfig>& members, const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    const ModelConfig config = classifier_config(cells, labels, model_config, tokenizer, members);
    const int asked = members.front().num_threads;
    const int threads = asked > 0 ? asked : torch::get_num_threads();
    std::vector<TrainResult> results;
    if (side_by_side(members, threads)) {
      const int workers = std::min(static_cast<int>(members.size()), threads);
      results = fit_side_by_side(cells, labels, config, tokenizer, members, workers, threads / workers, callbacks);
    } else {
      // One after another, reported as one run: steps counted over all, epochs saying whose.
      const int n = static_cast<int>(members.size());
      for (int i = 0; i < n; ++i) {
        TrainCallbacks own = callbacks;
        if (callbacks.on_step)
          own.on_step = [&, i](int step, int total) { callbacks.on_step(i * total + step, n * total); };
        if (callbacks.on_epoch)
          own.on_epoch = [&, i](const EpochStats& stats) {
            EpochStats numbered = stats;
            numbered.model = i;
            callbacks.on_epoch(numbered);
          };
        results.push_back(fit(cells, &labels, config, tokenizer, members[i], nullptr, own));
        if (results.back().interrupted) break;
      }
    }
    return results;
  });
}

TrainResult pretrain_encoder(const CellStore& cells, const ModelConfig& model_config, const TokenizerConfig& tokenizer,
                             const TrainConfig& train, const PretrainConfig& pretrain, const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    check_train_config(train);
    if (!(pretrain.mask_fraction > 0 && pretrain.mask_fraction < 1)) throw std::invalid_argument("mask_fraction must be in (0, 1)");
    if (pretrain.mask_replace < 0 || pretrain.mask_replace > 1) throw std::invalid_argument("mask_replace must be in [0, 1]");
    ModelConfig config = complete_config(model_config, tokenizer);
    config.n_classes = 0;
    check_model_config(config);
    check_cells(cells, config, tokenizer);
    if (cells.n_cells() < 2) throw std::invalid_argument("pretraining needs at least two cells");
    return fit(cells, nullptr, config, tokenizer, train, &pretrain, callbacks);
  });
}

}  // namespace sclm
