#include "train/loop.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <numeric>
#include <sstream>

#include "model/encoder.h"
#include "train/adamw.h"
#include "train/data_parallel.h"
#include "train/fingerprint.h"
#include "train/schedule.h"
#include "train/split.h"
#include "util/backend.h"
#include "util/run_generator.h"

namespace sclm {
namespace {

struct LoopState {
  int epochs_done = 0;
  long step = 0;
  int best_epoch = 0;
  int epochs_without_improvement = 0;
  double best_loss = std::numeric_limits<double>::infinity();
  bool finished = false;
  bool stopped_early = false;
  std::string best_weights;
  std::vector<EpochStats> history;
};

torch::Tensor bytes_tensor(const std::string& s) {
  auto t = torch::empty({static_cast<int64_t>(s.size())}, torch::kUInt8);
  if (!s.empty()) std::memcpy(t.data_ptr<uint8_t>(), s.data(), s.size());
  return t;
}

std::string tensor_bytes(const torch::Tensor& t) {
  auto c = t.contiguous();
  return std::string(reinterpret_cast<const char*>(c.data_ptr<uint8_t>()), c.numel());
}

constexpr int kStatsColumns = 7;

void save_checkpoint(const std::string& path, const std::string& fingerprint, const LoopState& s,
                     torch::nn::Module& module, torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  module.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.write("fingerprint", bytes_tensor(fingerprint));
  archive.write("best_weights", bytes_tensor(s.best_weights));
  archive.write("counters", torch::tensor({static_cast<int64_t>(s.epochs_done), static_cast<int64_t>(s.step),
                                           static_cast<int64_t>(s.best_epoch),
                                           static_cast<int64_t>(s.epochs_without_improvement),
                                           static_cast<int64_t>(s.finished), static_cast<int64_t>(s.stopped_early)}));
  archive.write("best_loss", torch::tensor({s.best_loss}, torch::kFloat64));
  auto history = torch::zeros({static_cast<int64_t>(s.history.size()), kStatsColumns}, torch::kFloat64);
  auto h = history.accessor<double, 2>();
  for (std::size_t e = 0; e < s.history.size(); ++e) {
    const auto& x = s.history[e];
    const double row[kStatsColumns] = {double(x.epoch), x.train_loss, x.train_accuracy, x.val_loss,
                                       x.val_accuracy, x.learning_rate, x.seconds};
    for (int c = 0; c < kStatsColumns; ++c) h[e][c] = row[c];
  }
  archive.write("history", history);
  // Write next to the target, then rename: a crash leaves the previous checkpoint intact.
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::invalid_argument("cannot write the checkpoint file " + tmp);
    archive.save_to(out);
    out.flush();
    if (!out) throw std::runtime_error("writing the checkpoint " + tmp + " failed (disk full?)");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("cannot move the checkpoint into place at " + path);
}

bool load_checkpoint(const std::string& path, const std::string& fingerprint, LoopState& s, torch::nn::Module& module,
                     torch::optim::Optimizer& optimizer, const torch::Device& device) {
  if (!std::ifstream(path).good()) return false;
  torch::serialize::InputArchive archive, model_archive, optimizer_archive;
  torch::Tensor stored, best, counters, best_loss, history;
  try {
    archive.load_from(path, device);
    archive.read("fingerprint", stored);
  } catch (const c10::Error&) {
    throw std::invalid_argument("the checkpoint " + path + " is not a readable scLM checkpoint; delete it to start over");
  }
  const std::string found = tensor_bytes(stored.cpu());
  if (found.rfind(kFingerprintVersion, 0) != 0)
    throw std::invalid_argument("the checkpoint " + path +
                                " was written by an older version of scLM and cannot be resumed; delete it or pass resume = FALSE");
  if (found != fingerprint)
    throw std::invalid_argument("the checkpoint " + path +
                                " was written for other settings or data; delete it or pass resume = FALSE");
  archive.read("model", model_archive);
  module.load(model_archive);
  archive.read("optimizer", optimizer_archive);
  optimizer.load(optimizer_archive);
  archive.read("best_weights", best);
  archive.read("counters", counters);
  archive.read("best_loss", best_loss);
  archive.read("history", history);
  s.best_weights = tensor_bytes(best.cpu());
  const auto counters_cpu = counters.cpu();
  auto c = counters_cpu.accessor<int64_t, 1>();
  s.epochs_done = static_cast<int>(c[0]);
  s.step = c[1];
  s.best_epoch = static_cast<int>(c[2]);
  s.epochs_without_improvement = static_cast<int>(c[3]);
  s.finished = c[4] != 0;
  s.stopped_early = c[5] != 0;
  s.best_loss = best_loss.cpu().item<double>();
  const auto history_cpu = history.cpu();
  auto h = history_cpu.accessor<double, 2>();
  s.history.clear();
  for (int64_t e = 0; e < history.size(0); ++e) {
    EpochStats x;
    x.epoch = static_cast<int>(h[e][0]);
    x.train_loss = h[e][1];
    x.train_accuracy = h[e][2];
    x.val_loss = h[e][3];
    x.val_accuracy = h[e][4];
    x.learning_rate = h[e][5];
    x.seconds = h[e][6];
    s.history.push_back(x);
  }
  return true;
}

// Epoch seeds: each epoch's shuffling, masking, dropout and feature redraws depend only on (seed,
// epoch), so a resumed run repeats exactly what the uninterrupted run would have done.
std::uint64_t epoch_seed(std::uint64_t seed, int epoch) { return seed * 1000003ULL + 7919ULL * epoch; }

struct Totals {
  double loss = 0, items = 0, correct = 0;
};

// Sums of batch outcomes, kept on the device and read back once; float64, like the host's sums.
class DeviceTotals {
 public:
  void add(const BatchOutcome& out) {
    const auto loss = out.loss.detach().to(torch::kFloat64) * out.items;
    const auto correct = out.correct.to(loss.device(), torch::kFloat64);
    loss_ = loss_.defined() ? loss_ + loss : loss;
    correct_ = correct_.defined() ? correct_ + correct : correct;
    items_ += out.items;
  }
  Totals read() const {
    return {loss_.defined() ? loss_.item<double>() : 0.0, items_, correct_.defined() ? correct_.item<double>() : 0.0};
  }

 private:
  torch::Tensor loss_, correct_;
  double items_ = 0;
};

Totals evaluate(TrainingTask& task, const std::vector<int>& cells, int batch_size, std::uint64_t seed,
               const torch::Device& device, Precision precision) {
  torch::NoGradGuard no_grad;
  task.module->eval();
  std::mt19937_64 rng(seed);  // the same masks every epoch, so validation losses compare
  DeviceTotals t;
  for (std::size_t start = 0; start < cells.size(); start += batch_size) {
    std::vector<int> batch(cells.begin() + start, cells.begin() + std::min(cells.size(), start + batch_size));
    BatchOutcome out;
    {
      AutocastScope autocast(device, precision);
      out = task.run_batch(batch, rng, false);
    }
    t.add(out);
  }
  task.module->train();
  return t.read();
}

}  // namespace

// scBERT fine-tunes its last block; frozen parameters get no gradients.
std::vector<torch::Tensor> trainable_parameters(torch::nn::Module& model, int blocks, int n_layers) {
  std::vector<torch::Tensor> out;
  for (const auto& item : model.named_parameters()) {
    const std::string& name = item.key();
    bool train = blocks < 0 || name.rfind("encoder.", 0) != 0 ||
                 (blocks > 0 && name.rfind("encoder.final_norm", 0) == 0);
    for (int l = n_layers - blocks; !train && blocks > 0 && l < n_layers; ++l)
      train = name.rfind("encoder.block" + std::to_string(l) + ".", 0) == 0;
    item.value().requires_grad_(train);
    if (train) out.push_back(item.value());
  }
  return out;
}

std::vector<int> bucket_by_length(const std::vector<int>& order, const std::vector<int>& lengths, int batch_size,
                                  std::mt19937_64& rng) {
  const std::size_t n = order.size(), size = static_cast<std::size_t>(batch_size), window = size * 50;
  std::vector<int> sorted = order;
  for (std::size_t start = 0; start < n; start += window)
    std::stable_sort(sorted.begin() + start, sorted.begin() + std::min(n, start + window),
                     [&](int a, int b) { return lengths[a] < lengths[b]; });
  std::vector<std::size_t> batches(n / size);
  std::iota(batches.begin(), batches.end(), std::size_t{0});
  std::shuffle(batches.begin(), batches.end(), rng);
  std::vector<int> out;
  out.reserve(n);
  for (const auto b : batches) out.insert(out.end(), sorted.begin() + b * size, sorted.begin() + (b + 1) * size);
  out.insert(out.end(), sorted.begin() + batches.size() * size, sorted.end());
  return out;
}

void clip_gradient_norm(const std::vector<torch::Tensor>& parameters, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : parameters)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return;
  const auto norms = at::_foreach_norm(grads, 2);
  const auto total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  const auto coefficient = torch::clamp(max_norm / (total + 1e-6), c10::nullopt, 1.0);
  for (auto& g : grads) g.mul_(coefficient);
}

torch::Device start_run(const TrainConfig& config) {
  auto device = resolve_device(config.device);
  const auto& distributed = config.distributed;
  if (device.is_cuda() && !device.has_index() && distributed.world_size > 1) {
    // One GPU per process: cuda:LOCAL_RANK as torchrun sets it, else the rank modulo the GPUs.
    const char* local_rank = std::getenv("LOCAL_RANK");
    const int index = local_rank != nullptr && *local_rank ? std::atoi(local_rank) : distributed.rank;
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index % torch::cuda::device_count()));
  }
  configure_runtime(config.num_threads);
  torch::manual_seed(config.seed);
  return device;
}

void check_train_config(const TrainConfig& t) {
  auto fail = [](const std::string& msg) { throw std::invalid_argument(msg); };
  if (t.epochs < 1) fail("epochs must be at least 1");
  if (t.batch_size < 1) fail("batch_size must be at least 1");
  if (!(t.learning_rate > 0)) fail("learning_rate must be positive");
  if (t.weight_decay < 0) fail("weight_decay must be non-negative");
  if (t.warmup_fraction < 0 || t.warmup_fraction >= 1) fail("warmup_fraction must be in [0, 1)");
  if (t.patience < 1) fail("patience must be at least 1");
  if (t.label_smoothing < 0 || t.label_smoothing >= 1) fail("label_smoothing must be in [0, 1)");
  if (t.token_dropout < 0 || t.token_dropout >= 1) fail("token_dropout must be in [0, 1)");
  if (t.class_sampling < 0 || t.class_sampling > 1) fail("class_sampling must be in [0, 1]");
  if (t.resume && t.checkpoint.empty()) fail("resume needs a checkpoint file");
  parse_precision(t.precision);
}

TrainResult run_training(TrainingTask& task, const TrainConfig& train, const TrainCallbacks& callbacks) {
  if (task.train_cells.empty()) throw std::invalid_argument("no cells left for training after the validation split");
  if (task.parameters.empty()) throw std::invalid_argument("no parameters to train");
  const bool validate = !task.validation_cells.empty();
  task.module->train();
  ForeachAdamW optimizer(task.parameters,
                         torch::optim::AdamWOptions(train.learning_rate).weight_decay(train.weight_decay));
  const int steps_per_epoch = static_cast<int>((task.train_cells.size() + train.batch_size - 1) / train.batch_size);
  const long total_steps = static_cast<long>(steps_per_epoch) * train.epochs;
  const long warmup_steps = static_cast<long>(std::lround(train.warmup_fraction * total_steps));
  const int first_candidate = (train.epochs + 3) / 4;  // see the choice of the best epoch below

  LoopState state;
  const auto device = task.parameters.front().device();
  const auto precision = parse_precision(train.precision);
  if (train.resume) load_checkpoint(train.checkpoint, task.fingerprint, state, *task.module, optimizer, device);
  // Every process starts from rank 0's weights and draws the same batches (same seeds); each runs
  // its share of a batch, and the averaged gradients keep the processes' weights identical.
  DataParallel parallel(train.distributed, device);
  parallel.broadcast(task.module->parameters());

  TrainResult result;
  RunGenerator generator(device);
  double step_seconds = 0;
  long timed_steps = 0;
  for (int epoch = state.epochs_done + 1; epoch <= train.epochs && !state.finished; ++epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    generator.seed(epoch_seed(train.seed, epoch));
    std::mt19937_64 rng(epoch_seed(train.seed, epoch));
    std::vector<int> order = task.train_cells;
    if (train.class_sampling > 0 && !task.labels.empty())
      order = class_balanced_order(task.train_cells, task.labels, train.class_sampling, rng);
    else
      std::shuffle(order.begin(), order.end(), rng);
    if (train.length_bucketing && !task.lengths.empty()) order = bucket_by_length(order, task.lengths, train.batch_size, rng);
    DeviceTotals totals;
    const auto steps_start = std::chrono::steady_clock::now();
    for (int b = 0; b < steps_per_epoch; ++b) {
      if (parallel.any(callbacks.interrupted && callbacks.interrupted())) {  // all processes stop together
        result.interrupted = true;
        break;
      }
      const double lr = scheduled_learning_rate(state.step, total_steps, warmup_steps, train.learning_rate);
      for (auto& group : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
      if (task.before_step) task.before_step(state.step);
      const auto begin = order.begin() + static_cast<long>(b) * train.batch_size;
      const auto cells = parallel.shard(
          std::vector<int>(begin, order.begin() + std::min<long>(order.size(), static_cast<long>(b + 1) * train.batch_size)));
      optimizer.zero_grad();
      BatchOutcome out;
      if (!cells.empty()) {  // a short last batch may leave a process without cells
        {
          AutocastScope autocast(device, precision);
          out = task.run_batch(cells, rng, true);
        }
        out.loss.backward();
        totals.add(out);
      }
      parallel.average_gradients(task.parameters, out.items);
      clip_gradient_norm(task.parameters, train.clip_norm);
      optimizer.step();
      ++state.step;
      if (callbacks.on_step) callbacks.on_step(static_cast<int>(state.step), static_cast<int>(total_steps));
    }
    if (result.interrupted) break;  // a partial epoch is neither reported nor checkpointed
    const Totals local = totals.read();  // waits for the device, so the steps' time is complete
    step_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - steps_start).count();
    timed_steps += steps_per_epoch;
    std::vector<double> sums{local.loss, local.items, local.correct};
    parallel.sum(sums);
    const Totals all{sums[0], sums[1], sums[2]};

    EpochStats stats;
    stats.epoch = epoch;
    stats.train_loss = all.loss / std::max(1.0, all.items);
    stats.train_accuracy = all.correct / std::max(1.0, all.items);
    stats.learning_rate = scheduled_learning_rate(state.step - 1, total_steps, warmup_steps, train.learning_rate);
    stats.val_loss = stats.val_accuracy = std::numeric_limits<double>::quiet_NaN();
    double monitored = stats.train_loss;
    if (validate) {
      const auto eval = evaluate(task, task.validation_cells, std::max(train.batch_size, 128), train.seed + 17, device, precision);
      stats.val_loss = monitored = eval.loss / std::max(1.0, eval.items);
      stats.val_accuracy = eval.correct / std::max(1.0, eval.items);
    }
    stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    state.history.push_back(stats);
    state.epochs_done = epoch;
    // The first quarter of the epochs only stands in for the best (an interrupt returns it): on a
    // small reference the validation loss of a barely trained model can be its lowest, so the
    // best epoch is chosen from epoch first_candidate on, and early stopping waits for it.
    if (monitored < state.best_loss || epoch == first_candidate) {
      state.best_loss = monitored;
      state.best_epoch = epoch;
      state.best_weights = serialize_module(*task.module);
      state.epochs_without_improvement = 0;
    } else if (validate && ++state.epochs_without_improvement >= train.patience && epoch > first_candidate) {
      state.stopped_early = true;
    }
    state.finished = state.stopped_early || epoch == train.epochs;
    if (!train.checkpoint.empty() && parallel.rank() == 0)
      save_checkpoint(train.checkpoint, task.fingerprint, state, *task.module, optimizer);
    if (callbacks.on_epoch) callbacks.on_epoch(stats);
  }
  result.weights = state.best_weights.empty() ? serialize_module(*task.module) : state.best_weights;
  result.history = state.history;
  result.best_epoch = state.best_epoch;
  result.stopped_early = state.stopped_early;
  result.seconds_per_step = timed_steps > 0 ? step_seconds / timed_steps : 0;
  for (const auto& p : task.module->parameters()) result.n_parameters += p.numel();
  return result;
}

}  // namespace sclm
