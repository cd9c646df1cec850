// Batched inference on real pbmc3k cells: batches of cells of similar length (less padding) must
// give every cell the result it gets alone, in the input's order, and ranges of cells run side by
// side the result of a one-thread pass.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "api.h"
#include "data/batch.h"
#include "model/classifier.h"
#include "model/sctrans.h"
#include "real_data.h"

using namespace sclm;

namespace {

// A small untrained model of the cells' genes and classes.
ModelConfig small_model(const sclm_test::RealCells& data) {
  ModelConfig model;
  model.n_features = data.n_rows;
  model.n_classes = data.n_classes;
  model.dim = 16;
  model.ff_dim = 32;
  return model;
}

}  // namespace

TEST(Inference, LengthSortedBatchesCoverEveryCellOnceLongestFirst) {
  const auto data = sclm_test::load_pbmc_subset();
  const Tokenizer tokenizer(TokenizerConfig{data.n_rows, 10, 1e4}, data.identity_map(), data.n_rows);
  TokenStore store;
  for (int c = 0; c < data.n_cols; ++c) tokenizer.tokenize(data.view(), c, store);
  const auto batches = length_sorted_batches(store, 7);
  ASSERT_EQ(batches.size(), static_cast<std::size_t>((data.n_cols + 6) / 7));
  std::vector<int> seen(data.n_cols, 0);
  int previous_length = store.length(batches[0][0]), previous_cell = -1;
  for (const auto& batch : batches) {
    EXPECT_LE(batch.size(), 7u);
    for (int c : batch) {
      ++seen[c];
      EXPECT_LE(store.length(c), previous_length);
      if (store.length(c) == previous_length) EXPECT_GT(c, previous_cell);  // ties keep their order
      previous_length = store.length(c);
      previous_cell = c;
    }
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), data.n_cols);
  EXPECT_GT(store.length(batches.front()[0]), store.length(batches.back()[0]));  // lengths differ in real cells
}

TEST(Inference, EachCellGetsItsOwnResultWhateverTheBatch) {
  const auto data = sclm_test::load_pbmc_subset();
  ModelConfig model = small_model(data);
  const TokenizerConfig tokenizer{data.n_rows, 10, 1e4};  // every detected gene: lengths vary by cell
  torch::manual_seed(5);
  CellClassifier classifier(complete_config(model, tokenizer));
  const auto weights = serialize_module(*classifier);
  const auto encoder_weights = serialize_module(*classifier->encoder());
  RunConfig alone, batched;
  alone.batch_size = 1;  // no padding at all
  batched.batch_size = 9;  // windows of 144 cells: the data spans three, the last one partial

  const auto a = classify_cells(weights, model, tokenizer, data.view(), data.identity_map(), alone, nullptr, true);
  const auto b = classify_cells(weights, model, tokenizer, data.view(), data.identity_map(), batched, nullptr, true);
  ASSERT_EQ(a.logits.size(), b.logits.size());
  ASSERT_EQ(a.embeddings.size(), b.embeddings.size());
  for (std::size_t k = 0; k < a.logits.size(); ++k) ASSERT_NEAR(a.logits[k], b.logits[k], 1e-4) << k;
  for (std::size_t k = 0; k < a.embeddings.size(); ++k) ASSERT_NEAR(a.embeddings[k], b.embeddings[k], 1e-4) << k;
  const auto embedded = embed_cells(encoder_weights, model, tokenizer, data.view(), data.identity_map(), batched, nullptr);
  for (std::size_t k = 0; k < embedded.size(); ++k) ASSERT_NEAR(embedded[k], a.embeddings[k], 1e-4) << k;

  auto by_cell_and_gene = [](const AttentionScores& s) {
    std::map<std::pair<int, int>, float> out;
    for (std::size_t k = 0; k < s.cell.size(); ++k) out[{s.cell[k], s.feature[k]}] = s.score[k];
    return out;
  };
  const auto att_a = by_cell_and_gene(gene_attention(encoder_weights, model, tokenizer, data.view(), data.identity_map(), alone, nullptr));
  const auto att_b = by_cell_and_gene(gene_attention(encoder_weights, model, tokenizer, data.view(), data.identity_map(), batched, nullptr));
  ASSERT_EQ(att_a.size(), att_b.size());
  for (const auto& [key, score] : att_a) {
    const auto found = att_b.find(key);
    ASSERT_NE(found, att_b.end());
    ASSERT_NEAR(found->second, score, 1e-5);
  }
}

// On the CPU with two or more threads, ranges of cells of an SCTrans model run side by side with
// one LibTorch thread each: every cell gets, bit for bit, what a one-thread pass gives it, with two
// ranges or three of uneven size; an interrupt stops the ranges.
TEST(Inference, RangesOfCellsSideBySideGiveEachCellItsOneThreadResult) {
  const auto data = sclm_test::load_pbmc_subset();
  ModelConfig model = small_model(data);
  model.subvectors.scales = {16, 32};
  TokenizerConfig tokenizer;
  tokenizer.kind = TokenizerKind::kSubvectors;
  torch::manual_seed(5);
  SctransClassifier classifier(complete_config(model, tokenizer));
  const auto weights = serialize_module(*classifier);
  RunConfig run;
  run.batch_size = 50;
  run.num_threads = 1;
  const auto one = classify_cells(weights, model, tokenizer, data.view(), data.identity_map(), run, nullptr, true);
  ASSERT_GT(data.n_cols, 2 * run.batch_size);
  for (int threads : {2, 3}) {
    run.num_threads = threads;
    const auto side = classify_cells(weights, model, tokenizer, data.view(), data.identity_map(), run, nullptr, true);
    EXPECT_EQ(side.logits, one.logits) << threads;
    EXPECT_EQ(side.embeddings, one.embeddings) << threads;
  }
  EXPECT_THROW(classify_cells(weights, model, tokenizer, data.view(), data.identity_map(), run, [] { return true; }, false),
               Interrupted);
}
