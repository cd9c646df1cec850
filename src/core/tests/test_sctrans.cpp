// SCTrans: sub-vector partition, region masking, masked sub-vector completion, the classifier with
// gene selection, on real pbmc3k cells.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "api.h"
#include "data/subvectors.h"
#include "model/encoder.h"
#include "model/sctrans.h"
#include "real_data.h"
#include "train/objectives.h"

using namespace sclm;

namespace {

struct SctransFixture {
  sclm_test::RealCells data = sclm_test::load_pbmc_subset();
  std::vector<int> map = data.identity_map();
  ModelConfig model;
  TokenizerConfig tokenizer;
  TrainConfig train;
  SctransFixture() {
    model.n_features = data.n_rows;
    model.n_classes = data.n_classes;
    model.dim = 32;
    model.ff_dim = 64;
    model.subvectors.scales = {16, 32, 64};
    tokenizer.kind = TokenizerKind::kSubvectors;
    train.epochs = 6;
    train.batch_size = 32;
    train.learning_rate = 2e-3;
    train.seed = 3;
    train.num_threads = 2;
  }
  torch::Tensor levels(int n_cells) const {
    LevelStore store;
    append_levels(data.view(), map, data.n_rows, 1e4, 0, n_cells, store);
    std::vector<int> cells(n_cells);
    for (int c = 0; c < n_cells; ++c) cells[c] = c;
    return dense_levels(store, cells, data.n_rows);
  }
};

TEST(Subvectors, LevelsAreLog1pCp10kWithDuplicateRowsSummed) {
  // one cell, rows 0 and 2 both map to gene 1; row 1 is outside the vocabulary
  const std::vector<int> p{0, 3}, i{0, 1, 2};
  const std::vector<double> x{2, 5, 3};
  const CscView m{p.data(), i.data(), x.data(), 3, 1};
  LevelStore store;
  append_levels(m, {1, -1, 1}, 2, 1e4, 0, 1, store);
  ASSERT_EQ(store.features, std::vector<int32_t>{1});
  EXPECT_NEAR(store.levels[0], std::log1p(5.0 / 10.0 * 1e4), 1e-4);
  EXPECT_THROW(append_levels(m, {1, -1}, 2, 1e4, 0, 1, store), std::invalid_argument);
}

TEST(Subvectors, LevelsOfAGeneMapInAnyRowOrderAreAscendingAndExact) {
  // real cells whose rows map to the vocabulary in reverse order, every fifth row outside it: a
  // query's genes come in the query's order, not the vocabulary's
  SctransFixture f;
  const int n = 100, g = f.data.n_rows;
  std::vector<int> map(g);
  for (int r = 0; r < g; ++r) map[r] = r % 5 == 0 ? -1 : g - 1 - r;
  LevelStore store;
  append_levels(f.data.view(), map, g, 1e4, 0, n, store);
  // reference: each cell's (feature, value) pairs sorted, log1p(CP10k) of its total over all rows
  const auto m = f.data.view();
  std::vector<int32_t> features;
  std::vector<float> levels;
  for (int j = 0; j < n; ++j) {
    double total = 0;
    std::vector<std::pair<int, double>> cell;
    for (int k = m.col_begin(j); k < m.col_end(j); ++k) {
      total += m.x[k];
      if (map[m.i[k]] >= 0 && m.x[k] > 0) cell.emplace_back(map[m.i[k]], m.x[k]);
    }
    std::sort(cell.begin(), cell.end());
    for (const auto& e : cell) {
      features.push_back(e.first);
      levels.push_back(static_cast<float>(std::log1p(e.second / total * 1e4)));
    }
  }
  EXPECT_EQ(store.features, features);
  EXPECT_EQ(store.levels, levels);
  EXPECT_NO_THROW(check_levels(store, g));
}

TEST(Subvectors, DownsamplingThinsRealCountsAndLeavesNormalisedValues) {
  SctransFixture f;
  const int n = 200, g = f.data.n_rows;
  LevelStore store;
  append_levels(f.data.view(), f.map, g, 1e4, 0, n, store);
  ASSERT_EQ(store.count_scale.size(), static_cast<std::size_t>(n));
  std::vector<int> cells(n);
  for (int c = 0; c < n; ++c) cells[c] = c;
  const auto full = dense_levels(store, cells, g);
  // expm1(level) x count scale: the counts (of the original depth, in expectation after thinning)
  const auto scale = torch::tensor(std::vector<float>(store.count_scale.begin(), store.count_scale.end())).unsqueeze(1);
  const auto counts = [&](const torch::Tensor& levels) { return (torch::expm1(levels) * scale).sum().item<double>(); };
  std::mt19937_64 rng(7), first(11), second(11);
  EXPECT_TRUE(torch::allclose(downsampled_levels(store, cells, g, 1e-9, rng), full, 1e-5, 1e-4));
  const auto thinned = downsampled_levels(store, cells, g, 0.75, first);
  EXPECT_TRUE(torch::equal(thinned, downsampled_levels(store, cells, g, 0.75, second)));  // same seed, same draw
  // a cell keeps 25-100% of its counts (0.54 on average): fewer genes are seen, none appears, and
  // the levels are normalised to the depth kept, so the counts they stand for are unbiased
  const double nonzero = full.gt(0).sum().item<double>(), seen = thinned.gt(0).sum().item<double>();
  EXPECT_LT(seen, 0.9 * nonzero);
  EXPECT_GT(seen, 0.3 * nonzero);
  EXPECT_TRUE(thinned.eq(0).logical_or(full.gt(0)).all().item<bool>());
  EXPECT_NEAR(counts(thinned) / counts(full), 1.0, 0.05);
  // values that are not counts (CP10k of log-normalised data: count scale 1) stay as they are
  LevelStore normalised = store;
  std::fill(normalised.count_scale.begin(), normalised.count_scale.end(), 1.0f);
  EXPECT_TRUE(torch::equal(downsampled_levels(normalised, cells, g, 0.75, rng), full));
  LevelStore by_hand = store;
  by_hand.count_scale.clear();
  EXPECT_THROW(downsampled_levels(by_hand, cells, g, 0.5, rng), std::invalid_argument);
}

TEST(Subvectors, PartitionRoundTripsOnRealCells) {
  SctransFixture f;
  const auto levels = f.levels(50);
  const SubvectorLayout layout(f.data.n_rows, {16, 32, 64});
  EXPECT_EQ(layout.n_tokens(), 38 + 19 + 10);  // ceil(600 / s)
  EXPECT_EQ(layout.n_regions(), 10);
  const auto parts = layout.partition(levels);
  for (int s = 0; s < layout.n_scales(); ++s) {
    EXPECT_EQ(parts[s].sizes(), (std::vector<int64_t>{50, layout.count(s), layout.scales()[s]}));
    EXPECT_TRUE(torch::equal(layout.assemble(parts[s]), levels));
  }
  // token 38 is the first 32-gene sub-vector; the last 16-gene one is cut at gene 600
  EXPECT_EQ(layout.genes(38), std::make_pair(0, 32));
  EXPECT_EQ(layout.genes(37), std::make_pair(592, 600));
  EXPECT_TRUE(torch::equal(parts[1][7][3], levels[7].slice(0, 96, 128)));
  EXPECT_THROW(SubvectorLayout(600, {16, 24, 64}), std::invalid_argument);
  EXPECT_THROW(SubvectorLayout(600, {16, 16}), std::invalid_argument);
}

TEST(Subvectors, MaskingHidesTheAskedShareOfRegionsAtEveryScale) {
  const SubvectorLayout layout(600, {16, 32, 64});
  std::mt19937_64 rng(1);
  const auto hidden = hidden_tokens(layout, 200, 0.75, rng);
  ASSERT_EQ(hidden.sizes(), (std::vector<int64_t>{200, layout.n_tokens()}));
  // largest scale: exactly round(0.75 * 10) = 8 of 10 regions per cell
  const auto coarse = hidden.narrow(1, layout.first_token(2), layout.count(2));
  EXPECT_TRUE(torch::all(coarse.sum(1).eq(8)).item<bool>());
  // a gene is hidden at one scale iff it is hidden at every scale
  std::vector<torch::Tensor> genes;
  for (int s = 0; s < layout.n_scales(); ++s) {
    const auto block = hidden.narrow(1, layout.first_token(s), layout.count(s)).to(torch::kFloat32);
    genes.push_back(layout.assemble(block.unsqueeze(-1).expand({200, layout.count(s), layout.scales()[s]})));
  }
  EXPECT_TRUE(torch::equal(genes[0], genes[1]));
  EXPECT_TRUE(torch::equal(genes[1], genes[2]));
  // different cells get different regions
  EXPECT_FALSE(torch::equal(coarse[0], coarse[1]) && torch::equal(coarse[1], coarse[2]) && torch::equal(coarse[2], coarse[3]));
}

TEST(Sctrans, SupervisedContrastiveMatchesTheDefinition) {
  const auto z = torch::nn::functional::normalize(torch::tensor({{1.0, 0.0}, {0.8, 0.6}, {0.0, 1.0}, {-0.6, 0.8}}),
                                                  torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto y = torch::tensor({0, 0, 1, 1}, torch::kInt64);
  const double t = 0.5;
  const auto sim = torch::matmul(z, z.t()) / t;
  double expected = 0;
  for (int i = 0; i < 4; ++i) {
    double denominator = 0;
    for (int a = 0; a < 4; ++a)
      if (a != i) denominator += std::exp(sim[i][a].item<double>());
    const int positive = i ^ 1;  // the other cell of the same label
    expected += -(sim[i][positive].item<double>() - std::log(denominator));
  }
  EXPECT_NEAR(supervised_contrastive(z, y, t).item<double>(), expected / 4, 1e-5);
  EXPECT_EQ(supervised_contrastive(z, torch::tensor({0, 1, 2, 3}, torch::kInt64), t).item<double>(), 0.0);
}

TEST(Sctrans, DecoderReconstructionImprovesOnRealCells) {
  SctransFixture f;
  f.model.n_classes = 0;
  PretrainConfig pretrain;
  pretrain.mask_fraction = 0.75;
  f.train.validation_fraction = 0.15;
  const auto fit = pretrain_encoder(sclm_test::cells_of(f.model, f.tokenizer, f.data.view(), f.map), f.model, f.tokenizer, f.train, pretrain, {});
  ASSERT_EQ(static_cast<int>(fit.history.size()), f.train.epochs);
  const double first = fit.history.front().val_loss, last = fit.history.back().val_loss;
  EXPECT_LT(last, 0.8 * first) << "validation MSE " << first << " -> " << last;
  // The reconstruction beats predicting zeros for the hidden sub-vectors (the mean squared level).
  const auto levels = f.levels(f.data.n_cols);
  EXPECT_LT(last, levels.pow(2).mean().item<double>());
  // Its encoder is what fine-tuning starts from.
  TrainConfig tune = f.train;
  tune.epochs = 1;
  tune.init_encoder = fit.encoder_weights;
  ModelConfig classifier = f.model;
  classifier.n_classes = f.data.n_classes;
  EXPECT_NO_THROW(train_classifier(sclm_test::cells_of(classifier, f.tokenizer, f.data.view(), f.map), f.data.labels, classifier, f.tokenizer, tune, {}));
}

// Two random halves of each of n cells through an encoder, compared by the cosine of their centred
// embeddings: for each cell, the share of the other cells' halves less similar to its first half
// than its own second half (0.5 by chance), averaged over the cells.
double halves_matched(SubvectorEncoder& encoder, const torch::Tensor& levels) {
  torch::NoGradGuard no_grad;
  encoder->eval();
  torch::manual_seed(11);
  const auto keep = torch::rand_like(levels) < 0.5;
  const auto embed = [&encoder](const torch::Tensor& view) {
    auto z = encoder->pool(encoder(view));
    namespace F = torch::nn::functional;
    return F::normalize(z - z.mean(0, true), F::NormalizeFuncOptions().dim(1));
  };
  const auto sim = torch::matmul(embed(levels.masked_fill(keep, 0.0)), embed(levels.masked_fill(keep.logical_not(), 0.0)).t());
  const auto own = sim.diag().unsqueeze(1);
  return (sim.lt(own).to(torch::kFloat64).sum(1) / (levels.size(0) - 1)).mean().item<double>();
}

TEST(Sctrans, ContrastivePretrainingMakesTwoHalvesOfACellAlike) {
  SctransFixture f;
  f.model.n_classes = 0;
  const auto complete = complete_config(f.model, f.tokenizer);
  const auto levels = f.levels(128);
  std::vector<double> found;
  for (double weight : {0.0, 1.0}) {
    PretrainConfig pretrain;
    pretrain.mask_fraction = 0.75;
    pretrain.contrastive_weight = weight;
    const auto fit = pretrain_encoder(sclm_test::cells_of(f.model, f.tokenizer, f.data.view(), f.map), f.model, f.tokenizer, f.train, pretrain, {});
    SubvectorEncoder encoder(complete, complete.n_layers);
    deserialize_module(*encoder, fit.encoder_weights, torch::kCPU);
    found.push_back(halves_matched(encoder, levels));
  }
  // Masked completion alone leaves a cell's halves far apart; the contrastive term brings them together.
  EXPECT_GT(found[1], found[0] + 0.2) << "halves matched: masked " << found[0] << ", + contrastive " << found[1];
  EXPECT_GT(found[1], 0.5);
}

TEST(Sctrans, HiddenSubvectorsNeverReachTheReconstruction) {
  SctransFixture f;
  f.model.n_classes = 0;
  SubvectorAutoencoder model(complete_config(f.model, f.tokenizer), false);
  model->eval();
  const auto& layout = model->encoder()->layout();
  const auto levels = f.levels(16);
  std::mt19937_64 rng(5);
  const auto hidden = hidden_tokens(layout, 16, 0.75, rng);
  // Change every hidden gene (at the finest scale, which covers all genes) and nothing else.
  const auto fine = hidden.narrow(1, 0, layout.count(0)).to(torch::kFloat32).unsqueeze(-1).expand({16, layout.count(0), layout.scales()[0]});
  const auto changed = levels + 3.0 * layout.assemble(fine.contiguous());
  ASSERT_FALSE(torch::equal(changed, levels));
  torch::NoGradGuard no_grad;
  const auto a = model->forward(levels, hidden), b = model->forward(changed, hidden);
  for (std::size_t s = 0; s < a.size(); ++s) EXPECT_TRUE(torch::allclose(a[s], b[s]));
}

TEST(Sctrans, AnUntrainedReadOutPoolsByTheMeanOfEachScale) {
  SctransFixture f;
  SubvectorEncoder encoder(complete_config(f.model, f.tokenizer), 1);
  const auto& layout = encoder->layout();
  const auto hidden = torch::randn({4, layout.n_tokens(), f.model.dim});
  const auto pooled = encoder->pool(hidden);
  ASSERT_EQ(pooled.size(1), layout.n_scales() * f.model.dim);
  for (int s = 0; s < layout.n_scales(); ++s)
    EXPECT_TRUE(torch::allclose(pooled.narrow(1, s * f.model.dim, f.model.dim),
                                hidden.narrow(1, layout.first_token(s), layout.count(s)).mean(1), 1e-5, 1e-6));
}

TEST(Sctrans, ClassifierLearnsAndSelectsWithAMaskInZeroOne) {
  SctransFixture f;
  f.train.epochs = 12;
  const auto fit = train_classifier(sclm_test::cells_of(f.model, f.tokenizer, f.data.view(), f.map), f.data.labels, f.model, f.tokenizer, f.train, {});
  const auto& best = fit.history[fit.best_epoch - 1];
  EXPECT_GT(best.val_accuracy, 0.5);  // 9 classes: chance is about 0.12
  RunConfig run;
  run.batch_size = 100;
  const auto salience = salient_subvectors(fit.weights, f.model, f.tokenizer, f.data.view(), f.map, run, {});
  const SubvectorLayout layout(f.data.n_rows, f.model.subvectors.scales);
  ASSERT_EQ(salience.n_tokens, layout.n_tokens());
  ASSERT_EQ(salience.mask.size(), static_cast<std::size_t>(f.data.n_cols) * layout.n_tokens());
  double mean = 0;
  for (float m : salience.mask) {
    ASSERT_GE(m, 0.0f);
    ASSERT_LE(m, 1.0f);
    mean += m;
  }
  mean /= salience.mask.size();
  EXPECT_GT(mean, 0.05);
  EXPECT_LT(mean, 0.6);
  // the logits of the salience pass are the classifier's
  const auto classified = classify_cells(fit.weights, f.model, f.tokenizer, f.data.view(), f.map, run, {}, true);
  for (std::size_t k = 0; k < classified.logits.size(); ++k) ASSERT_NEAR(classified.logits[k], salience.logits[k], 1e-4);
  EXPECT_EQ(classified.embeddings.size(), static_cast<std::size_t>(f.data.n_cols) * 3 * f.model.dim);
  // with light_weight, predictions read the weighted mean of the two classifiers' logits
  ModelConfig mixed = f.model;
  mixed.subvectors.light_weight = 0.25;
  const auto both = classify_cells(fit.weights, mixed, f.tokenizer, f.data.view(), f.map, run, {}, false);
  SctransClassifier module(complete_config(mixed, f.tokenizer));
  deserialize_module(*module, fit.weights, torch::Device(torch::kCPU));
  module->eval();
  torch::NoGradGuard no_grad;
  const auto all = module->forward_all(f.levels(f.data.n_cols));
  const auto expected = (0.75 * all.logits + 0.25 * all.light_logits).contiguous();
  ASSERT_EQ(both.logits.size(), static_cast<std::size_t>(expected.numel()));
  double moved = 0;
  for (std::size_t k = 0; k < both.logits.size(); ++k) {
    ASSERT_NEAR(both.logits[k], expected.data_ptr<float>()[k], 1e-4);
    moved = std::max(moved, static_cast<double>(std::abs(both.logits[k] - classified.logits[k])));
  }
  EXPECT_GT(moved, 1e-2);
  const auto mixed_salience = salient_subvectors(fit.weights, mixed, f.tokenizer, f.data.view(), f.map, run, {});
  for (std::size_t k = 0; k < both.logits.size(); ++k) ASSERT_NEAR(both.logits[k], mixed_salience.logits[k], 1e-4);
  // the encoder alone embeds cells as the classifier does
  const auto embedded = embed_cells(fit.encoder_weights, f.model, f.tokenizer, f.data.view(), f.map, run, {});
  ASSERT_EQ(embedded.size(), classified.embeddings.size());
  for (std::size_t k = 0; k < embedded.size(); ++k) ASSERT_NEAR(embedded[k], classified.embeddings[k], 1e-4);
  EXPECT_NO_THROW(validate_weights(fit.weights, fit.encoder_weights, f.model, f.tokenizer));
  EXPECT_THROW(gene_attention(fit.encoder_weights, f.model, f.tokenizer, f.data.view(), f.map, run, {}), std::invalid_argument);
}

TEST(Sctrans, TrainingOnALevelStoreFilledInBlocksEqualsTrainingOnTheMatrix) {
  SctransFixture f;
  f.train.epochs = 1;
  // as a host reading on-disk cells fills it: 100 cells at a time
  const CellStore store = sclm_test::cells_of(f.model, f.tokenizer, f.data.view(), f.map, 100);
  ASSERT_TRUE(store.holds_levels);
  EXPECT_EQ(train_classifier(store, f.data.labels, f.model, f.tokenizer, f.train, {}).weights,
            train_classifier(sclm_test::cells_of(f.model, f.tokenizer, f.data.view(), f.map), f.data.labels, f.model, f.tokenizer, f.train, {}).weights);
  ModelConfig encoder = f.model;
  encoder.n_classes = 0;
  PretrainConfig pretrain;
  pretrain.mask_fraction = 0.75;
  EXPECT_EQ(pretrain_encoder(store, encoder, f.tokenizer, f.train, pretrain, {}).encoder_weights,
            pretrain_encoder(sclm_test::cells_of(encoder, f.tokenizer, f.data.view(), f.map), encoder, f.tokenizer, f.train, pretrain, {}).encoder_weights);

  // A store that is not well formed, or a token model, is refused before training.
  auto bad = store;
  bad.levels.features[1] = f.data.n_rows;
  EXPECT_THROW(train_classifier(bad, f.data.labels, f.model, f.tokenizer, f.train, {}), std::invalid_argument);
  bad = store;
  bad.levels.offsets.back() += 1;
  EXPECT_THROW(pretrain_encoder(bad, encoder, f.tokenizer, f.train, pretrain, {}), std::invalid_argument);
  ModelConfig token_model = f.model;
  token_model.subvectors.scales.clear();
  TokenizerConfig bins;
  EXPECT_THROW(train_classifier(store, f.data.labels, token_model, bins, f.train, {}), std::invalid_argument);
}

TEST(Sctrans, RejectsInconsistentSettings) {
  SctransFixture f;
  f.train.epochs = 1;
  auto bad = f.model;
  bad.subvectors.scales = {16, 40};
  EXPECT_THROW(train_classifier(sclm_test::cells_of(bad, f.tokenizer, f.data.view(), f.map), f.data.labels, bad, f.tokenizer, f.train, {}), std::invalid_argument);
  bad = f.model;
  bad.attention.kind = AttentionKind::kLinformer;
  EXPECT_THROW(train_classifier(sclm_test::cells_of(bad, f.tokenizer, f.data.view(), f.map), f.data.labels, bad, f.tokenizer, f.train, {}), std::invalid_argument);
  auto tokens = f.tokenizer;
  tokens.kind = TokenizerKind::kBins;
  EXPECT_THROW(train_classifier(sclm_test::cells_of(f.model, tokens, f.data.view(), f.map), f.data.labels, f.model, tokens, f.train, {}), std::invalid_argument);
}

}  // namespace
