#include <gtest/gtest.h>

#include "data/peaks.h"
#include "data/tokenizer.h"

namespace sclm {
namespace {

TEST(Peaks, ParsesBothNameStyles) {
  GenomicRange r;
  ASSERT_TRUE(parse_peak_name("chr1-100-600", r));
  EXPECT_EQ(r.chrom, "chr1");
  EXPECT_EQ(r.start, 100);
  EXPECT_EQ(r.end, 600);
  ASSERT_TRUE(parse_peak_name("chrX:5-9", r));
  EXPECT_EQ(r.chrom, "chrX");
  ASSERT_TRUE(parse_peak_name("GL000220.1-10-20", r));
  EXPECT_EQ(r.chrom, "GL000220.1");
}

TEST(Peaks, RejectsMalformedNames) {
  GenomicRange r;
  for (const char* bad : {"", "chr1", "chr1-100", "chr1-100-", "-100-200", "chr1-200-100", "chr1--1-5", "chr1-1-2-3",
                          "chr 1-1-2", "chr1-1e3-2e3", "chr1-99999999999999-99999999999999", "CD3E", "chr1:1:2"}) {
    EXPECT_FALSE(parse_peak_name(bad, r)) << bad;
  }
}

TEST(Peaks, IslandsAreBinsThatPeaksOverlap) {
  // the second peak crosses the 5 kb edge, the third is on another chromosome
  const std::vector<GenomicRange> peaks{{"chr2", 100, 600}, {"chr1", 4800, 5300}, {"chr1", 200, 700}};
  const auto islands = peak_islands(peaks, 5000);
  ASSERT_EQ(islands.size(), 3u);
  EXPECT_EQ(islands[0], (Island{"chr1", 0}));
  EXPECT_EQ(islands[1], (Island{"chr1", 1}));
  EXPECT_EQ(islands[2], (Island{"chr2", 0}));
  EXPECT_THROW(peak_islands(peaks, 0), std::invalid_argument);
  EXPECT_THROW(peak_islands({{"chr1", 0, std::int64_t{1} << 39}}, 1), std::invalid_argument);
}

TEST(Peaks, IslandValueIsCeilingOfMeanPeakCount) {
  const std::vector<GenomicRange> peaks{{"chr1", 100, 600}, {"chr1", 4800, 5300}, {"chr1", 900, 1400}, {"chr3", 1, 2}};
  const std::vector<Island> islands{{"chr1", 1}, {"chr1", 0}};  // chr3 is not a model island
  const auto map = map_peaks_to_islands(peaks, islands, 5000);
  EXPECT_EQ(map.offsets, (std::vector<int>{0, 1, 3, 4, 4}));
  // one cell: counts 1, 2, 4, 7 for the four peaks
  const std::vector<int> p{0, 4}, i{0, 1, 2, 3};
  const std::vector<double> x{1, 2, 4, 7};
  const CscView view{p.data(), i.data(), x.data(), 4, 1};
  const auto m = island_counts(view, map);
  ASSERT_EQ(m.n_rows, 2);
  // island 0 (chr1 bin 1): peak 2 alone -> 2; island 1 (chr1 bin 0): peaks 1, 2, 3 -> ceil(7 / 3) = 3
  EXPECT_EQ(m.i, (std::vector<int>{0, 1}));
  EXPECT_EQ(m.x, (std::vector<double>{2, 3}));
  PeakIslandMap short_map = map;
  short_map.offsets.pop_back();
  EXPECT_THROW(island_counts(view, short_map), std::invalid_argument);
}

TEST(Tokenizer, CountsAreCappedValues) {
  TokenizerConfig config;
  config.kind = TokenizerKind::kCounts;
  config.max_bin = 5;
  config.full_length = true;
  const std::vector<int> p{0, 3}, i{0, 2, 3};
  const std::vector<double> x{1, 9, 2};
  const CscView view{p.data(), i.data(), x.data(), 4, 1};
  const Tokenizer tokenizer(config, {0, 1, 2, 3}, 4);
  const auto store = tokenizer.tokenize_all(view);
  std::vector<int> values;
  for (auto v : store.values) values.push_back(v - kBinTokenOffset);
  EXPECT_EQ(values, (std::vector<int>{1, 0, 5, 2}));
  EXPECT_EQ(max_value(config, 4), 5);
}

}  // namespace
}  // namespace sclm
