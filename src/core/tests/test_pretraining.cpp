// Masking, masked pretraining, checkpoint/resume and fine-tuning from a pretrained encoder, on
// real pbmc3k cells.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>

#include "api.h"
#include "data/masking.h"
#include "model/encoder.h"
#include "real_data.h"

using namespace sclm;

namespace {
struct Fixture {
  sclm_test::RealCells data = sclm_test::load_pbmc_subset();
  std::vector<int> map = data.identity_map();
  ModelConfig model;
  TokenizerConfig tokenizer{64, 10, 1e4};
  TrainConfig train;
  PretrainConfig pretrain;
  Fixture() {
    model.n_features = data.n_rows;
    model.dim = 32;
    model.ff_dim = 64;
    train.epochs = 4;
    train.batch_size = 32;
    train.learning_rate = 2e-3;
    train.seed = 7;
    train.num_threads = 2;
  }
  TrainResult fit(const TrainCallbacks& callbacks = {}) {
    return pretrain_encoder(sclm_test::cells_of(model, tokenizer, data.view(), map), model, tokenizer, train, pretrain, callbacks);
  }
};

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "/" + name; }

// Whether two serialized encoders hold the same tensors (the bytes also name module classes,
// which differ between processes and module trees).
bool same_encoder(const std::string& a, const std::string& b, const ModelConfig& model, const TokenizerConfig& tok) {
  const auto config = complete_config(model, tok);
  TokenEncoder x(config), y(config);
  deserialize_module(*x, a, torch::kCPU);
  deserialize_module(*y, b, torch::kCPU);
  const auto px = x->parameters(), py = y->parameters();
  for (std::size_t k = 0; k < px.size(); ++k)
    if (!torch::equal(px[k], py[k])) return false;
  return true;
}

// The feature rows of a serialized encoder's gene embedding, and n x dim test vectors.
torch::Tensor feature_embedding(const std::string& weights, const ModelConfig& model, const TokenizerConfig& tok) {
  TokenEncoder encoder(complete_config(model, tok));
  deserialize_module(*encoder, weights, torch::kCPU);
  return encoder->named_parameters()["gene_embedding.weight"].slice(0, kGeneTokenOffset);
}
std::vector<float> test_vectors(int n, int dim, double step) {
  std::vector<float> v(static_cast<std::size_t>(n) * dim);
  for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<float>(std::sin(step * k));
  return v;
}
}  // namespace

TEST(Masking, MasksOnlyNonZeroGenePositionsAtTheRequestedRate) {
  const auto d = sclm_test::load_pbmc_subset();
  TokenizerConfig tc{600, 10, 1e4};
  tc.full_length = true;  // zeros are positions with value 0
  const Tokenizer tok(tc, d.identity_map(), d.n_rows);
  TokenStore store;
  tok.tokenize_columns(d.view(), 0, 4, store, 0);
  const auto batch = make_batch(store, {0, 1, 2, 3});
  PretrainConfig pc;
  pc.mask_replace = 1.0;
  std::mt19937_64 rng(1);
  const auto m = mask_batch(batch, MaskTarget::kValue, pc, rng);
  auto t = m.targets.accessor<int64_t, 2>();
  auto v0 = batch.values.accessor<int64_t, 2>();
  auto v = m.input.values.accessor<int64_t, 2>();
  for (int64_t r = 0; r < 4; ++r) {
    int candidates = 0, masked = 0;
    for (int64_t c = 0; c < batch.values.size(1); ++c) {
      const bool nonzero = c > 0 && !batch.padding[r][c].item<bool>() && v0[r][c] > kBinTokenOffset;
      candidates += nonzero;
      if (t[r][c] != -100) {
        ++masked;
        EXPECT_TRUE(nonzero) << "a zero, padding or CLS position was masked";
        EXPECT_EQ(t[r][c], v0[r][c] - kBinTokenOffset);
        EXPECT_EQ(v[r][c], kBinMaskToken);
      }
    }
    EXPECT_EQ(masked, std::max<int64_t>(1, std::llround(0.15 * candidates)));
  }
  EXPECT_TRUE(torch::equal(m.input.genes, batch.genes));
}

TEST(Masking, BalancedMaskingGivesRareValueClassesEqualQuotas) {
  const auto d = sclm_test::load_pbmc_subset();
  const Tokenizer tok({256, 10, 1e4, 3.0}, d.identity_map(), d.n_rows);
  const auto store = tok.tokenize_all(d.view());
  std::vector<int> cells(store.n_cells());
  std::iota(cells.begin(), cells.end(), 0);
  const auto batch = make_batch(store, cells);
  PretrainConfig plain, balanced;
  balanced.balanced_masking = true;
  // The rarest value class among the maskable (non-zero) tokens.
  const auto values = batch.values.masked_select(batch.values.gt(kBinTokenOffset)) - kBinTokenOffset;
  const auto counts = torch::bincount(values);
  const auto present = counts.gt(0);
  const auto rarest = torch::where(present, counts, counts.max() + 1).argmin().item<int64_t>();
  std::mt19937_64 rng(1);
  auto share_of_rarest = [&](const PretrainConfig& pc) {
    const auto m = mask_batch(batch, MaskTarget::kValue, pc, rng);
    const auto masked = m.targets.masked_select(m.targets.ne(-100));
    return masked.eq(rarest).sum().item<double>() / masked.numel();
  };
  EXPECT_GT(share_of_rarest(balanced), 2 * share_of_rarest(plain));
}

TEST(Pretraining, MaskedLossDecreasesOnRealCells) {
  Fixture f;
  f.train.epochs = 6;
  const auto result = f.fit();
  ASSERT_EQ(result.history.size(), 6u);
  EXPECT_LT(result.history.back().train_loss, 0.9 * result.history.front().train_loss);
  EXPECT_FALSE(result.encoder_weights.empty());
  // The pretrained encoder embeds cells.
  RunConfig run;
  const auto emb = embed_cells(result.encoder_weights, f.model, f.tokenizer, f.data.view(), f.map, run, nullptr);
  EXPECT_EQ(emb.size(), static_cast<std::size_t>(f.data.n_cols) * 2 * f.model.dim);
}

TEST(Pretraining, ContrastiveTermTrainsWithTheMaskedLoss) {
  Fixture f;
  f.pretrain.contrastive_weight = 1.0;
  f.train.epochs = 4;
  const auto result = f.fit();
  EXPECT_LT(result.history.back().train_loss, 0.9 * result.history.front().train_loss);
  EXPECT_LT(result.history.back().val_loss, result.history.front().val_loss);
}

TEST(Pretraining, RankTokensPredictMaskedGenes) {
  Fixture f;
  f.tokenizer.kind = TokenizerKind::kRank;
  f.tokenizer.gene_scale = nonzero_medians({{f.data.view(), &f.map}}, f.data.n_rows, 1e4);
  f.train.epochs = 3;
  const auto result = f.fit();
  EXPECT_LT(result.history.back().train_loss, result.history.front().train_loss);
}

TEST(Pretraining, ResumeAfterInterruptionReproducesTheUninterruptedRun) {
  Fixture f;
  f.train.checkpoint = temp_path("sclm_resume_a.pt");
  std::remove(f.train.checkpoint.c_str());
  const auto full = f.fit();

  Fixture g;
  g.train.checkpoint = temp_path("sclm_resume_b.pt");
  std::remove(g.train.checkpoint.c_str());
  int steps = 0;
  // Stop in the middle of epoch 3: the checkpoint holds epochs 1-2.
  const auto partial = g.fit({[&](int, int) { ++steps; }, nullptr, [&] { return steps >= 20; }});
  ASSERT_TRUE(partial.interrupted);
  ASSERT_LT(partial.history.size(), full.history.size());
  g.train.resume = true;
  const auto resumed = g.fit();
  ASSERT_EQ(resumed.history.size(), full.history.size());
  for (std::size_t e = 0; e < full.history.size(); ++e) {
    EXPECT_EQ(resumed.history[e].train_loss, full.history[e].train_loss) << "epoch " << e + 1;
    EXPECT_EQ(resumed.history[e].val_loss, full.history[e].val_loss) << "epoch " << e + 1;
  }
  EXPECT_TRUE(same_encoder(resumed.encoder_weights, full.encoder_weights, f.model, f.tokenizer));

  // A checkpoint of other settings is refused, bf16 against fp32 included.
  const auto seed = g.train.seed;
  g.train.seed = 8;
  EXPECT_THROW(g.fit(), std::invalid_argument);
  g.train.seed = seed;
  g.train.precision = "bf16";
  EXPECT_THROW(g.fit(), std::invalid_argument);
  std::remove(f.train.checkpoint.c_str());
  std::remove(g.train.checkpoint.c_str());
}

TEST(FineTuning, StartsFromPretrainedWeightsAndFreezesBlocks) {
  Fixture f;
  f.train.epochs = 2;
  const auto pretrained = f.fit();

  ModelConfig classifier = f.model;
  classifier.n_classes = f.data.n_classes;
  TrainConfig train = f.train;
  train.init_encoder = pretrained.encoder_weights;
  train.trainable_blocks = 0;  // head only: the encoder must not change
  const auto head_only = train_classifier(sclm_test::cells_of(classifier, f.tokenizer, f.data.view(), f.map), f.data.labels, classifier, f.tokenizer, train, {});
  EXPECT_TRUE(same_encoder(head_only.encoder_weights, pretrained.encoder_weights, f.model, f.tokenizer));

  train.trainable_blocks = 1;
  const auto top_block = train_classifier(sclm_test::cells_of(classifier, f.tokenizer, f.data.view(), f.map), f.data.labels, classifier, f.tokenizer, train, {});
  EXPECT_FALSE(same_encoder(top_block.encoder_weights, pretrained.encoder_weights, f.model, f.tokenizer));

  train.trainable_blocks = 3;  // more than the model has
  EXPECT_THROW(train_classifier(sclm_test::cells_of(classifier, f.tokenizer, f.data.view(), f.map), f.data.labels, classifier, f.tokenizer, train, {}),
               std::invalid_argument);
}

TEST(FineTuning, CnnHeadLearnsRealCellTypes) {
  Fixture f;
  // A 300-gene vocabulary keeps full-length sequences short enough for a quick test.
  const int n_genes = 300;
  for (int r = 0; r < f.data.n_rows; ++r) f.map[r] = r < n_genes ? r : -1;
  ModelConfig classifier = f.model;
  classifier.n_features = n_genes;
  classifier.n_classes = f.data.n_classes;
  classifier.head = HeadKind::kCnn;  // over full-length positions (genes), as scBERT
  classifier.attention.kind = AttentionKind::kLinformer;
  f.tokenizer.full_length = true;
  f.train.epochs = 10;
  const auto result = train_classifier(sclm_test::cells_of(classifier, f.tokenizer, f.data.view(), f.map), f.data.labels, classifier, f.tokenizer, f.train, {});
  ASSERT_GT(result.best_epoch, 0);
  EXPECT_GT(result.history[result.best_epoch - 1].val_accuracy, 0.5);
}

TEST(FeatureVectors, StartTheFeatureEmbeddingAndStayFixedWhenFrozen) {
  Fixture f;
  f.train.epochs = 1;
  const int n = f.data.n_rows, dim = f.model.dim;
  const auto vectors = test_vectors(n, dim, 0.1);
  f.train.feature_vectors = vectors;
  const auto given = torch::tensor(vectors).view({n, dim});

  f.train.freeze_features = true;
  const auto frozen = f.fit();
  EXPECT_TRUE(torch::equal(feature_embedding(frozen.encoder_weights, f.model, f.tokenizer), given));

  f.train.freeze_features = false;
  const auto trained = f.fit();
  EXPECT_FALSE(torch::equal(feature_embedding(trained.encoder_weights, f.model, f.tokenizer), given));

  f.train.feature_vectors.pop_back();
  EXPECT_THROW(f.fit(), std::invalid_argument);
}

TEST(FeatureVectors, FineTuningFreezesOrTrainsThem) {
  Fixture f;
  f.train.epochs = 1;
  ModelConfig classifier = f.model;
  classifier.n_classes = f.data.n_classes;
  const int n = f.data.n_rows, dim = f.model.dim;
  const auto vectors = test_vectors(n, dim, 0.3);
  const auto given = torch::tensor(vectors).view({n, dim});
  TrainConfig train = f.train;
  train.feature_vectors = vectors;
  for (bool freeze : {true, false}) {
    train.freeze_features = freeze;
    const auto fit = train_classifier(sclm_test::cells_of(classifier, f.tokenizer, f.data.view(), f.map), f.data.labels, classifier, f.tokenizer, train, {});
    EXPECT_EQ(torch::equal(feature_embedding(fit.encoder_weights, f.model, f.tokenizer), given), freeze);
  }
}

TEST(Pretraining, OnStoredTokensEqualsOnTheMatrix) {
  Fixture f;
  f.train.epochs = 1;
  const auto from_matrix = f.fit();
  const auto from_tokens = pretrain_encoder(sclm_test::cells_of(f.model, f.tokenizer, f.data.view(), f.map, 41),
                                            f.model, f.tokenizer, f.train,
                                            f.pretrain, {});
  EXPECT_EQ(from_tokens.encoder_weights, from_matrix.encoder_weights);
}
