// End-to-end core training and inference on real pbmc3k cells.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "api.h"
#include "real_data.h"

using namespace sclm;

namespace {
struct Fixture {
  sclm_test::RealCells data = sclm_test::load_pbmc_subset();
  ModelConfig model;
  TokenizerConfig tokenizer{128, 10, 1e4};
  TrainConfig train;
  Fixture() {
    model.n_features = data.n_rows;
    model.n_classes = data.n_classes;
    model.dim = 32;
    model.ff_dim = 64;
    train.epochs = 12;
    train.batch_size = 16;
    train.learning_rate = 2e-3;
    train.seed = 42;
    train.num_threads = 2;
  }
  TrainResult fit(const TrainCallbacks& callbacks = {}) {
    return train_classifier(sclm_test::cells_of(model, tokenizer, data.view(), data.identity_map()), data.labels, model, tokenizer, train, callbacks);
  }
  // An ensemble of `n` runs of `train`, seeds 42, 43, ..., trained by train_classifiers().
  std::vector<TrainConfig> members(int n) const {
    std::vector<TrainConfig> out(n, train);
    for (int i = 0; i < n; ++i) out[i].seed = 42 + i;
    return out;
  }
  std::vector<TrainResult> fit_members(const std::vector<TrainConfig>& runs, const TrainCallbacks& callbacks = {}) {
    return train_classifiers(sclm_test::cells_of(model, tokenizer, data.view(), data.identity_map()), data.labels, model, tokenizer, runs, callbacks);
  }
};
}  // namespace

TEST(Training, LearnsRealCellTypesAndPredictsProbabilities) {
  Fixture f;
  int steps = 0, epochs = 0;
  const auto result = f.fit({[&](int, int) { ++steps; }, [&](const EpochStats&) { ++epochs; }, nullptr});
  ASSERT_FALSE(result.history.empty());
  EXPECT_EQ(epochs, static_cast<int>(result.history.size()));
  EXPECT_GT(steps, 0);
  EXPECT_LT(result.history.back().train_loss, result.history.front().train_loss);
  EXPECT_GT(result.history[result.best_epoch - 1].val_accuracy, 0.6);

  RunConfig run;
  run.batch_size = 50;
  const auto classified = classify_cells(result.weights, f.model, f.tokenizer, f.data.view(), f.data.identity_map(),
                                        run, nullptr, /*with_embeddings=*/true);
  std::vector<float> probs = classified.logits;
  for (int c = 0; c < f.data.n_cols; ++c) {  // softmax per cell
    float* row = probs.data() + static_cast<std::size_t>(c) * f.data.n_classes;
    const float top = *std::max_element(row, row + f.data.n_classes);
    double total = 0;
    for (int k = 0; k < f.data.n_classes; ++k) total += (row[k] = std::exp(row[k] - top));
    for (int k = 0; k < f.data.n_classes; ++k) row[k] /= total;
  }
  ASSERT_EQ(probs.size(), static_cast<std::size_t>(f.data.n_cols * f.data.n_classes));
  int correct = 0;
  for (int c = 0; c < f.data.n_cols; ++c) {
    const float* row = probs.data() + static_cast<std::size_t>(c) * f.data.n_classes;
    EXPECT_NEAR(std::accumulate(row, row + f.data.n_classes, 0.0), 1.0, 1e-4);
    correct += std::max_element(row, row + f.data.n_classes) - row == f.data.labels[c];
  }
  EXPECT_GT(static_cast<double>(correct) / f.data.n_cols, 0.75);

  const auto emb = embed_cells(result.encoder_weights, f.model, f.tokenizer, f.data.view(), f.data.identity_map(), run, nullptr);
  EXPECT_EQ(emb.size(), static_cast<std::size_t>(f.data.n_cols * 2 * f.model.dim));
  // The classifier's pass gives the same embeddings as the encoder's.
  ASSERT_EQ(classified.embeddings.size(), emb.size());
  for (std::size_t k = 0; k < emb.size(); k += 97) EXPECT_NEAR(classified.embeddings[k], emb[k], 1e-4);

  const auto att = gene_attention(result.encoder_weights, f.model, f.tokenizer, f.data.view(), f.data.identity_map(), run, nullptr);
  ASSERT_EQ(att.cell.size(), att.score.size());
  std::vector<double> per_cell(f.data.n_cols, 0.0);
  for (std::size_t k = 0; k < att.cell.size(); ++k) {
    ASSERT_GE(att.feature[k], 0);
    ASSERT_LT(att.feature[k], f.data.n_rows);
    EXPECT_GE(att.score[k], 0.0f);
    per_cell[att.cell[k]] += att.score[k];
  }
  for (double total : per_cell) {  // the rest of the CLS attention goes to CLS itself
    EXPECT_GT(total, 0.0);
    EXPECT_LE(total, 1.0 + 1e-5);
  }

  // The classifier's encoder part is a complete encoder.
  EXPECT_NO_THROW(validate_weights("", result.encoder_weights, f.model, f.tokenizer));
}

TEST(Training, SameSeedGivesIdenticalWeights) {
  Fixture f;
  f.train.epochs = 2;
  const auto a = f.fit();
  const auto b = f.fit();
  ASSERT_EQ(a.history.size(), b.history.size());
  for (std::size_t e = 0; e < a.history.size(); ++e) EXPECT_EQ(a.history[e].train_loss, b.history[e].train_loss);
  f.train.seed = 43;
  const auto c = f.fit();
  EXPECT_NE(a.history[0].train_loss, c.history[0].train_loss);
}

TEST(Training, EarlyStoppingAndInterruptReturnUsableWeights) {
  Fixture f;
  f.train.epochs = 3;
  int polls = 0;
  const auto interrupted = f.fit({nullptr, nullptr, [&] { return ++polls > 5; }});
  EXPECT_TRUE(interrupted.interrupted);
  EXPECT_FALSE(interrupted.weights.empty());
  EXPECT_NO_THROW(validate_weights(interrupted.weights, interrupted.encoder_weights, f.model, f.tokenizer));

  RunConfig run;
  EXPECT_THROW(classify_cells(interrupted.weights, f.model, f.tokenizer, f.data.view(), f.data.identity_map(),
                              run, [] { return true; }, false),
               Interrupted);
}

TEST(Training, RejectsBadSettings) {
  Fixture f;
  f.train.epochs = 0;
  EXPECT_THROW(f.fit(), std::invalid_argument);
  Fixture g;
  g.train.device = "tpu";
  EXPECT_THROW(g.fit(), std::invalid_argument);
  Fixture h;
  h.data.labels.pop_back();
  EXPECT_THROW(h.fit(), std::invalid_argument);
}

// A host reading on-disk data tokenizes blocks of cells into one store: training on that store
// is training on the matrix.
TEST(Training, TokensStoredBlockByBlockTrainAsTheMatrixDoes) {
  Fixture f;
  f.train.epochs = 2;
  f.tokenizer.kind = TokenizerKind::kValueBins;  // zero sampling depends on the cell id
  f.tokenizer.zero_share = 0.5;
  const auto from_matrix = f.fit();

  const auto& d = f.data;
  const CellStore store = sclm_test::cells_of(f.model, f.tokenizer, d.view(), d.identity_map(), 37);
  ASSERT_EQ(store.n_cells(), d.n_cols);
  const auto from_tokens = train_classifier(store, d.labels, f.model, f.tokenizer, f.train, {});
  EXPECT_EQ(from_tokens.weights, from_matrix.weights);
  ASSERT_EQ(from_tokens.history.size(), from_matrix.history.size());
  EXPECT_EQ(from_tokens.history.back().val_loss, from_matrix.history.back().val_loss);

  CellStore bad = store;
  bad.tokens.genes[5] = kGeneTokenOffset + d.n_rows;  // a gene outside the vocabulary
  EXPECT_THROW(train_classifier(bad, d.labels, f.model, f.tokenizer, f.train, {}), std::invalid_argument);
  bad = store;
  bad.tokens.offsets.back() += 1;
  EXPECT_THROW(train_classifier(bad, d.labels, f.model, f.tokenizer, f.train, {}), std::invalid_argument);
  EXPECT_THROW(train_classifier(store, std::vector<int>(d.labels.begin(), d.labels.end() - 1), f.model, f.tokenizer,
                                f.train, {}),
               std::invalid_argument);
}

// An ensemble's runs side by side (one LibTorch thread each) train the models each run trains
// alone on one thread, and report every epoch (saying whose) and their steps summed.
TEST(Training, EnsembleSideBySideTrainsWhatEachRunTrainsAlone) {
  Fixture f;
  f.train.epochs = 2;
  f.train.num_threads = 1;
  auto members = f.members(3);
  std::vector<TrainResult> alone;
  for (const auto& m : members) {
    f.train = m;
    alone.push_back(f.fit());
  }
  members[0].num_threads = 2;  // two threads to share: the runs go side by side
  std::vector<int> epochs_of(3, 0);
  int last_step = 0, last_total = 0;
  const auto results = f.fit_members(members, {[&](int step, int total) { last_step = step, last_total = total; },
                                               [&](const EpochStats& s) { ++epochs_of.at(s.model); }, nullptr});
  ASSERT_EQ(results.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(results[i].weights, alone[i].weights) << "model " << i;
    EXPECT_EQ(epochs_of[i], static_cast<int>(alone[i].history.size()));
  }
  EXPECT_NE(results[0].weights, results[1].weights);
  EXPECT_GT(last_total, 0);
  EXPECT_EQ(last_step, last_total);
}

TEST(Training, EnsembleInterruptStopsEveryRun) {
  Fixture f;
  f.train.epochs = 50;
  f.train.num_threads = 2;
  auto members = f.members(3);
  int epochs = 0;
  const auto results =
      f.fit_members(members, {nullptr, [&](const EpochStats&) { ++epochs; }, [&] { return epochs >= 2; }});
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) {
    EXPECT_TRUE(r.interrupted);
    EXPECT_LT(r.history.size(), 50u);
  }
  members[1].epochs = 0;
  EXPECT_THROW(f.fit_members(members), std::invalid_argument);
}
