// scLM's model file and weights formats: round trips, and every kind of damage is a clean error.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <stdexcept>

#include "util/data_file.h"
#include "util/tensor_bundle.h"

namespace sclm {
namespace {

std::vector<TensorRecord> two_tensors() {
  TensorRecord a{"encoder.weight", DType::kFloat32, {2, 3}, std::string(24, '\x01')};
  TensorRecord b{"head.bias", DType::kInt64, {4}, std::string(32, '\x02')};
  return {a, b};
}

TEST(TensorBundle, RoundTrips) {
  const auto bytes = write_tensor_bundle(two_tensors());
  const auto back = read_tensor_bundle(bytes);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].name, "encoder.weight");
  EXPECT_EQ(back[0].shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(back[1].dtype, DType::kInt64);
  EXPECT_EQ(back[1].data, std::string(32, '\x02'));
}

// Every prefix of `bytes`, and `bytes` with any one byte xor-ed with `flip`, must be rejected.
template <typename Read>
void expect_every_damage_rejected(const std::string& bytes, Read read, char flip) {
  for (std::size_t n = 0; n < bytes.size(); ++n)
    EXPECT_THROW(read(bytes.substr(0, n)), std::invalid_argument) << "truncated at " << n;
  for (std::size_t k = 0; k < bytes.size(); ++k) {
    auto altered = bytes;
    altered[k] = static_cast<char>(altered[k] ^ flip);
    EXPECT_THROW(read(altered), std::invalid_argument) << "byte " << k;
  }
}

TEST(TensorBundle, EveryTruncationAndEveryFlippedByteIsAnError) {
  expect_every_damage_rejected(write_tensor_bundle(two_tensors()), read_tensor_bundle, 0x10);
}

TEST(TensorBundle, RejectsShapesThatDoNotMatchTheirData) {
  auto t = two_tensors();
  t[0].shape = {2, 4};
  EXPECT_THROW(read_tensor_bundle(write_tensor_bundle(t)), std::invalid_argument);
  t = two_tensors();
  t[0].shape = {std::int64_t{1} << 40, std::int64_t{1} << 40};  // would overflow a naive product
  EXPECT_THROW(read_tensor_bundle(write_tensor_bundle(t)), std::invalid_argument);
  t = two_tensors();
  t[1].name = t[0].name;
  EXPECT_THROW(read_tensor_bundle(write_tensor_bundle(t)), std::invalid_argument);
}

DataNode sample_tree() {
  DataNode root;
  root.type = DataNode::Type::kList;
  DataNode ints;
  ints.type = DataNode::Type::kInteger;
  ints.ints = {1, std::numeric_limits<std::int32_t>::min(), 3};
  DataNode reals;
  reals.type = DataNode::Type::kDouble;
  reals.doubles = {0.5, std::nan(""), -std::numeric_limits<double>::infinity()};
  DataNode strings;
  strings.type = DataNode::Type::kString;
  strings.strings = {"CD14", "", "\xce\xb1"};
  strings.string_na = {0, 1, 0};
  DataNode raw;
  raw.type = DataNode::Type::kRaw;
  raw.raw = std::string("\x00\xff\x10", 3);
  root.items = {ints, reals, strings, raw, DataNode{}};
  DataNode names;
  names.type = DataNode::Type::kString;
  names.strings = {"i", "d", "s", "r", "n"};
  names.string_na.assign(5, 0);
  root.attributes.emplace_back("names", names);
  return root;
}

TEST(DataFile, RoundTripsEveryValueTypeBitExactly) {
  const auto back = read_data_file(write_data_file(sample_tree()));
  ASSERT_EQ(back.items.size(), 5u);
  EXPECT_EQ(back.items[0].ints, sample_tree().items[0].ints);
  EXPECT_TRUE(std::isnan(back.items[1].doubles[1]));
  EXPECT_EQ(back.items[1].doubles[2], -std::numeric_limits<double>::infinity());
  EXPECT_EQ(back.items[2].strings[2], "\xce\xb1");
  EXPECT_EQ(back.items[2].string_na, (std::vector<std::uint8_t>{0, 1, 0}));
  EXPECT_EQ(back.items[3].raw, std::string("\x00\xff\x10", 3));
  EXPECT_EQ(back.items[4].type, DataNode::Type::kNull);
  ASSERT_EQ(back.attributes.size(), 1u);
  EXPECT_EQ(back.attributes[0].first, "names");
}

TEST(DataFile, EveryTruncationAndEveryFlippedByteIsAnError) {
  expect_every_damage_rejected(write_data_file(sample_tree()), read_data_file, 0x01);
}

TEST(DataFile, RejectsDeepNesting) {
  DataNode node;
  for (int k = 0; k < 100; ++k) {
    DataNode outer;
    outer.type = DataNode::Type::kList;
    outer.items.push_back(node);
    node = outer;
  }
  EXPECT_THROW(read_data_file(write_data_file(node)), std::invalid_argument);
}

DataNode strings_node(std::vector<std::string> v) {
  DataNode n;
  n.type = DataNode::Type::kString;
  n.string_na.assign(v.size(), 0);
  n.strings = std::move(v);
  return n;
}

TEST(DataFile, OnlyConsistentRAttributesAreAccepted) {
  DataNode ints;
  ints.type = DataNode::Type::kInteger;
  ints.ints = {1, 2, 3, 4, 5, 6};
  DataNode dim;
  dim.type = DataNode::Type::kInteger;
  dim.ints = {2, 3};
  auto with = [&](std::vector<std::pair<std::string, DataNode>> attributes) {
    auto node = ints;
    node.attributes = std::move(attributes);
    return write_data_file(node);
  };
  EXPECT_NO_THROW(read_data_file(with({{"dim", dim}})));
  auto bad_dim = dim;
  bad_dim.ints = {4, 2};
  EXPECT_THROW(read_data_file(with({{"dim", bad_dim}})), std::invalid_argument);
  bad_dim.ints = {-2, -3};
  EXPECT_THROW(read_data_file(with({{"dim", bad_dim}})), std::invalid_argument);
  EXPECT_THROW(read_data_file(with({{"names", strings_node({"a"})}})), std::invalid_argument);
  EXPECT_THROW(read_data_file(with({{"srcref", dim}})), std::invalid_argument);
  EXPECT_THROW(read_data_file(with({{"class", dim}})), std::invalid_argument);
  EXPECT_THROW(read_data_file(with({{"class", strings_node({"a"})}, {"class", strings_node({"b"})}})),
               std::invalid_argument);
  DataNode dimnames;
  dimnames.type = DataNode::Type::kList;
  dimnames.items = {strings_node({"r1", "r2"}), DataNode{}};
  EXPECT_NO_THROW(read_data_file(with({{"dim", dim}, {"dimnames", dimnames}})));
  dimnames.items[1] = strings_node({"c1"});
  EXPECT_THROW(read_data_file(with({{"dim", dim}, {"dimnames", dimnames}})), std::invalid_argument);
  EXPECT_THROW(read_data_file(with({{"dimnames", dimnames}})), std::invalid_argument);  // no dim
  EXPECT_THROW(read_data_file(with({{"row.names", ints}})), std::invalid_argument);     // not a list
  DataNode null_with_names;
  null_with_names.attributes.emplace_back("names", strings_node({}));
  EXPECT_THROW(read_data_file(write_data_file(null_with_names)), std::invalid_argument);
}

// Inputs the fuzzers (src/core/fuzz) found or that guard their limits: each must be a clean error.
TEST(FuzzRegressions, StoredInputsAreCleanErrors) {
  const std::string dir = std::string(SCLM_TEST_DATA) + "/fuzz-regressions/";
  for (const char* name : {"model_file_huge_length", "tensor_bundle_huge_rank"}) {
    std::ifstream in(dir + name, std::ios::binary);
    ASSERT_TRUE(in.good()) << name;
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_THROW(read_data_file(bytes), std::invalid_argument) << name;
    EXPECT_THROW(read_tensor_bundle(bytes), std::invalid_argument) << name;
  }
}

}  // namespace
}  // namespace sclm
