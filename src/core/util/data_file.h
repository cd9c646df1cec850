// scLM's model file: a tree of plain data values (NULL, logical, integer, double, string, raw,
// list, each with named attributes) behind a magic, a version and a checksum. Reading it builds
// data only: there is nothing in the format that could hold code. Torch-free and R-free, so the
// reader can be fuzzed on its own; the R glue maps the tree to and from R objects.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace sclm {

struct DataNode {
  enum class Type : std::uint8_t { kNull = 0, kLogical = 1, kInteger = 2, kDouble = 3, kString = 4, kRaw = 5, kList = 6 };
  Type type = Type::kNull;
  std::vector<std::int32_t> ints;      // logical and integer (R's NA is INT32_MIN)
  std::vector<double> doubles;         // bit-exact, NA and NaN included
  std::vector<std::string> strings;    // with string_na marking NA_character_
  std::vector<std::uint8_t> string_na;
  std::string raw;
  std::vector<DataNode> items;         // list elements
  std::vector<std::pair<std::string, DataNode>> attributes;

  std::size_t length() const;
};

std::string write_data_file(const DataNode& root);

// Throws std::invalid_argument: wrong magic or version, truncation, checksum mismatch,
// nesting deeper than 64, unknown node types, and attributes R would not accept as they are
// (only names, class, levels, dim, dimnames and row.names, each consistent with its value).
DataNode read_data_file(const std::string& bytes);

}  // namespace sclm
