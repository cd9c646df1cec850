// The settings' field lists (config/settings.h) and the run fingerprint built on them.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "config/settings.h"
#include "train/fingerprint.h"

using namespace sclm;

TEST(Settings, EveryStructListsDistinctNamedFieldsWithDefaultsInBounds) {
  visit_settings_types([](const auto& config) {
    std::set<std::string> names;
    visit_fields(config, [&](const Field& f, const auto& x) {
      using T = std::decay_t<decltype(x)>;
      EXPECT_TRUE(names.insert(f.name).second) << f.name;
      EXPECT_LE(f.min, f.max) << f.name;
      if constexpr (std::is_arithmetic_v<T> && !std::is_same_v<T, bool>) {
        EXPECT_GE(static_cast<double>(x), f.min) << f.name;
        EXPECT_LE(static_cast<double>(x), f.max) << f.name;
      }
    });
    EXPECT_FALSE(names.empty());
  });
}

TEST(Settings, ChoicesNameEveryEnumValue) {
  EXPECT_STREQ(Choices<AttentionKind>::names[static_cast<int>(AttentionKind::kLinformer)], "linformer");
  EXPECT_STREQ(Choices<HeadKind>::names[static_cast<int>(HeadKind::kCnn)], "cnn");
  EXPECT_STREQ(Choices<TokenizerKind>::names[static_cast<int>(TokenizerKind::kSubvectors)], "subvectors");
}

TEST(Fingerprint, ChangesWithWhatARunComputesNotWithHowItRuns) {
  ModelConfig model;
  TokenizerConfig tokenizer;
  TrainConfig train;
  PretrainConfig pretrain;
  const auto base = run_fingerprint("pretrain", "data", model, tokenizer, train, pretrain);
  EXPECT_EQ(base.rfind(kFingerprintVersion, 0), 0u);

  auto other = pretrain;
  other.temperature = 0.2;
  EXPECT_NE(run_fingerprint("pretrain", "data", model, tokenizer, train, other), base);
  auto sub = model;
  sub.subvectors.keep_share = 0.3;
  EXPECT_NE(run_fingerprint("pretrain", "data", sub, tokenizer, train, pretrain), base);
  auto seeded = train;
  seeded.seed = 2;
  EXPECT_NE(run_fingerprint("pretrain", "data", model, tokenizer, seeded, pretrain), base);
  auto init = train;
  init.init_encoder = "weights";
  EXPECT_NE(run_fingerprint("pretrain", "data", model, tokenizer, init, pretrain), base);
  EXPECT_NE(run_fingerprint("pretrain", "other data", model, tokenizer, train, pretrain), base);

  // Threads, device, the checkpoint's path, resuming and the process's rank change no result.
  auto how = train;
  how.num_threads = 3;
  how.device = "cuda";
  how.checkpoint = "/tmp/elsewhere.pt";
  how.resume = true;
  how.distributed.rank = 1;
  how.distributed.master_port = 1234;
  EXPECT_EQ(run_fingerprint("pretrain", "data", model, tokenizer, how, pretrain), base);
}
