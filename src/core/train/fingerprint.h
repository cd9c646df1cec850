// A string that identifies a training run's settings and data, stored in its checkpoints so a
// resume cannot silently continue a different run: every field of the settings (config/settings.h)
// that changes what the run computes, by name; vectors and bytes by their hash.
#pragma once

#include <iomanip>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "config/settings.h"
#include "data/cell_store.h"
#include "util/checksum.h"

namespace sclm {

// Fingerprints start with this; a checkpoint whose fingerprint does not was written by an older
// scLM (whose fingerprints were laid out differently).
constexpr const char* kFingerprintVersion = "scLM-run-2";

template <typename T>
std::string vector_hash(const std::vector<T>& v) {
  return fnv1a64_hex(reinterpret_cast<const unsigned char*>(v.data()), v.size() * sizeof(T));
}

inline std::string data_hash(const TokenStore& s) { return vector_hash(s.genes) + vector_hash(s.values) + vector_hash(s.offsets); }
inline std::string data_hash(const LevelStore& s) { return vector_hash(s.features) + vector_hash(s.levels) + vector_hash(s.offsets); }

// Appends "name=value;" for each field of `config` that affects results (nested structs in braces).
template <typename Config>
void describe_settings(std::ostringstream& out, const Config& config) {
  visit_fields(config, [&out](const Field& f, const auto& x) {
    using T = std::decay_t<decltype(x)>;
    if (!f.affects_result) return;
    out << f.name << '=';
    if constexpr (is_settings<T>::value) {
      out << '{';
      describe_settings(out, x);
      out << '}';
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (f.bytes) {
        out << fnv1a64_hex(reinterpret_cast<const unsigned char*>(x.data()), x.size());
      } else {
        out << std::quoted(x);
      }
    } else if constexpr (std::is_enum_v<T>) {
      out << Choices<T>::names[static_cast<int>(x)];
    } else if constexpr (std::is_arithmetic_v<T>) {
      out << x;
    } else {
      out << vector_hash(x);
    }
    out << ';';
  });
}

// The fields of `config` that affect results, as text (comparable between structs of one type).
template <typename Config>
std::string settings_text(const Config& config) {
  std::ostringstream s;
  s << std::setprecision(17);
  describe_settings(s, config);
  return s.str();
}

template <typename... Configs>
std::string run_fingerprint(const std::string& kind, const std::string& data, const Configs&... configs) {
  std::ostringstream s;
  s << std::setprecision(17) << kFingerprintVersion << ';' << kind << ';';
  ((s << std::decay_t<decltype(configs)>::kSettingsName << ':', describe_settings(s, configs)), ...);
  s << "data=" << data;
  return s.str();
}

}  // namespace sclm
