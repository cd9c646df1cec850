// Supervised fine-tuning: AdamW, warm-up + cosine schedule, gradient clipping,
// stratified validation split, early stopping on validation loss (best weights kept).
#include <chrono>
#include <cmath>
#include <limits>
#include <random>

#include "api.h"
#include "data/batch.h"
#include "model/classifier.h"
#include "train/schedule.h"
#include "train/split.h"
#include "util/backend.h"

namespace sclm {
namespace {

struct Evaluation {
  double loss = 0, accuracy = 0;
};

Evaluation evaluate(CellClassifier& model, const TokenStore& store, const std::vector<int>& cells,
                    const torch::Tensor& targets, const torch::Tensor& class_weights, int batch_size,
                    const torch::Device& device) {
  torch::NoGradGuard no_grad;
  model->eval();
  double loss_sum = 0, correct = 0;
  for (std::size_t start = 0; start < cells.size(); start += batch_size) {
    const std::size_t end = std::min(cells.size(), start + batch_size);
    std::vector<int> batch_cells(cells.begin() + start, cells.begin() + end);
    auto logits = model->forward(make_batch(store, batch_cells).to(device));
    auto y = targets.index_select(0, torch::tensor(std::vector<int64_t>(batch_cells.begin(), batch_cells.end()))).to(device);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, y, torch::nn::functional::CrossEntropyFuncOptions().weight(class_weights).reduction(torch::kSum))
                    .item<double>();
    correct += logits.argmax(1).eq(y).sum().item<double>();
  }
  model->train();
  const double n = std::max<std::size_t>(1, cells.size());
  return {loss_sum / n, correct / n};
}

void check_train_config(const TrainConfig& t, std::size_t n_cells) {
  auto fail = [](const std::string& msg) { throw std::invalid_argument(msg); };
  if (t.epochs < 1) fail("epochs must be at least 1");
  if (t.batch_size < 1) fail("batch_size must be at least 1");
  if (!(t.learning_rate > 0)) fail("learning_rate must be positive");
  if (t.weight_decay < 0) fail("weight_decay must be non-negative");
  if (t.warmup_fraction < 0 || t.warmup_fraction >= 1) fail("warmup_fraction must be in [0, 1)");
  if (t.patience < 1) fail("patience must be at least 1");
  if (t.label_smoothing < 0 || t.label_smoothing >= 1) fail("label_smoothing must be in [0, 1)");
  if (t.token_dropout < 0 || t.token_dropout >= 1) fail("token_dropout must be in [0, 1)");
  if (n_cells < 2) fail("training needs at least two cells");
}

}  // namespace

TrainResult train_classifier(const CscView& counts, const std::vector<int>& feature_map,
                             const std::vector<int>& labels, const ModelConfig& config,
                             const TokenizerConfig& tokenizer_config, const TrainConfig& train,
                             const TrainCallbacks& callbacks) {
  return with_torch_errors([&] {
    counts.validate();
    if (static_cast<int>(labels.size()) != counts.n_cols)
      throw std::invalid_argument("labels must have one entry per cell");
    check_train_config(train, labels.size());
    check_model_config(config);
    if (!train.class_weights.empty() && static_cast<int>(train.class_weights.size()) != config.n_classes)
      throw std::invalid_argument("class_weights must have one entry per class");

    const auto device = resolve_device(train.device);
    configure_runtime(train.num_threads);
    torch::manual_seed(train.seed);
    std::mt19937_64 rng(train.seed);

    const BinTokenizer tokenizer(tokenizer_config, feature_map, config.n_features);
    const TokenStore store = tokenizer.tokenize_all(counts);
    const Split split = stratified_split(labels, config.n_classes, train.validation_fraction, rng);
    if (split.train.empty()) throw std::invalid_argument("no cells left for training after the validation split");
    const bool validate = !split.validation.empty();

    auto targets = torch::tensor(std::vector<int64_t>(labels.begin(), labels.end()), torch::kInt64);
    torch::Tensor class_weights;
    if (!train.class_weights.empty())
      class_weights = torch::tensor(train.class_weights, torch::kFloat32).to(device);

    CellClassifier model(config);
    model->to(device);
    model->train();
    TrainResult result;
    for (const auto& p : model->parameters()) result.n_parameters += p.numel();

    torch::optim::AdamW optimizer(model->parameters(),
                                  torch::optim::AdamWOptions(train.learning_rate).weight_decay(train.weight_decay));
    const int steps_per_epoch = static_cast<int>((split.train.size() + train.batch_size - 1) / train.batch_size);
    const long total_steps = static_cast<long>(steps_per_epoch) * train.epochs;
    const long warmup_steps = static_cast<long>(std::lround(train.warmup_fraction * total_steps));

    double best_loss = std::numeric_limits<double>::infinity();
    int epochs_without_improvement = 0;
    long step = 0;
    double step_seconds = 0;
    std::vector<int> order = split.train;
    for (int epoch = 1; epoch <= train.epochs && !result.interrupted; ++epoch) {
      const auto epoch_start = std::chrono::steady_clock::now();
      std::shuffle(order.begin(), order.end(), rng);
      double loss_sum = 0, correct = 0;
      int seen = 0;
      for (int b = 0; b < steps_per_epoch; ++b, ++step) {
        if (callbacks.interrupted && callbacks.interrupted()) {
          result.interrupted = true;
          break;
        }
        const double lr = scheduled_learning_rate(step, total_steps, warmup_steps, train.learning_rate);
        for (auto& group : optimizer.param_groups())
          static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

        const auto begin = order.begin() + static_cast<long>(b) * train.batch_size;
        const auto end = order.begin() + std::min<long>(order.size(), static_cast<long>(b + 1) * train.batch_size);
        std::vector<int> cells(begin, end);
        const auto t0 = std::chrono::steady_clock::now();
        auto batch = make_batch(store, cells, &rng, train.token_dropout).to(device);
        auto y = targets.index_select(0, torch::tensor(std::vector<int64_t>(cells.begin(), cells.end()))).to(device);
        optimizer.zero_grad();
        auto logits = model->forward(batch);
        auto loss = torch::nn::functional::cross_entropy(
            logits, y,
            torch::nn::functional::CrossEntropyFuncOptions().weight(class_weights).label_smoothing(train.label_smoothing));
        loss.backward();
        torch::nn::utils::clip_grad_norm_(model->parameters(), train.clip_norm);
        optimizer.step();
        step_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

        loss_sum += loss.item<double>() * cells.size();
        correct += logits.argmax(1).eq(y).sum().item<double>();
        seen += static_cast<int>(cells.size());
        if (callbacks.on_step) callbacks.on_step(static_cast<int>(step + 1), static_cast<int>(total_steps));
      }
      if (seen == 0) break;

      EpochStats stats;
      stats.epoch = epoch;
      stats.train_loss = loss_sum / seen;
      stats.train_accuracy = correct / seen;
      stats.learning_rate = scheduled_learning_rate(step - 1, total_steps, warmup_steps, train.learning_rate);
      stats.val_loss = stats.val_accuracy = std::numeric_limits<double>::quiet_NaN();
      double monitored = stats.train_loss;
      if (validate) {
        const auto eval = evaluate(model, store, split.validation, targets, class_weights,
                                   std::max(train.batch_size, 128), device);
        stats.val_loss = monitored = eval.loss;
        stats.val_accuracy = eval.accuracy;
      }
      stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
      result.history.push_back(stats);
      if (callbacks.on_epoch) callbacks.on_epoch(stats);

      if (monitored < best_loss) {
        best_loss = monitored;
        result.best_epoch = epoch;
        result.weights = serialize_module(*model);
        epochs_without_improvement = 0;
      } else if (validate && ++epochs_without_improvement >= train.patience) {
        result.stopped_early = true;
        break;
      }
    }
    if (result.weights.empty()) result.weights = serialize_module(*model);  // interrupted in epoch 1
    result.seconds_per_step = step > 0 ? step_seconds / step : 0;
    return result;
  });
}

}  // namespace sclm
