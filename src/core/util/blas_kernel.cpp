#include "util/blas_kernel.h"

#include <cstdlib>

#if defined(__linux__) && defined(__x86_64__)
#include <dlfcn.h>
#include <strings.h>
#define SCLM_BLAS_KERNEL_SWITCH 1
#endif

namespace sclm {
namespace {

#ifdef SCLM_BLAS_KERNEL_SWITCH
// What a dynamic-architecture OpenBLAS exports to choose its kernels (driver/others/dynamic.c):
// `gotoblas` points at the kernel table in use; gotoblas_dynamic_init() picks one when it is
// null (OPENBLAS_CORETYPE first, else the CPU's model) and sets that table's blocking sizes.
struct OpenBlas {
  char* (*corename)() = nullptr;
  void (*dynamic_init)() = nullptr;
  void** table = nullptr;
};

// The loaded OpenBLAS's exports, looked up once; nullptr when any is missing.
const OpenBlas* openblas() {
  static const OpenBlas api = [] {
    void* library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
    void* scope = library != nullptr ? library : RTLD_DEFAULT;
    OpenBlas a;
    a.corename = reinterpret_cast<char* (*)()>(dlsym(scope, "gotoblas_corename"));
    a.dynamic_init = reinterpret_cast<void (*)()>(dlsym(scope, "gotoblas_dynamic_init"));
    a.table = static_cast<void**>(dlsym(scope, "gotoblas"));
    return a;
  }();
  return api.corename != nullptr && api.dynamic_init != nullptr && api.table != nullptr ? &api : nullptr;
}

// OpenBLAS's kernels for this CPU's instruction set, or nullptr.
const char* kernel_for_cpu() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
    return "SkylakeX";
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return "Haswell";
  return nullptr;
}

// The kernels to switch to now, or nullptr: only when OpenBLAS fell back to its SSE3 kernels on
// a CPU with AVX2 or AVX-512 and the user has not chosen them with OPENBLAS_CORETYPE.
const char* switch_target() {
  const auto* api = openblas();
  const char* chosen = std::getenv("OPENBLAS_CORETYPE");
  if (api == nullptr || (chosen != nullptr && *chosen != '\0')) return nullptr;
  const char* now = api->corename();
  if (now == nullptr || strcasecmp(now, "Prescott") != 0) return nullptr;
  return kernel_for_cpu();
}
#endif

}  // namespace

std::string blas_kernel() {
#ifdef SCLM_BLAS_KERNEL_SWITCH
  const auto* api = openblas();
  const char* name = api != nullptr ? api->corename() : nullptr;
  return name != nullptr ? name : "";
#else
  return "";
#endif
}

std::string blas_kernel_for_runs() {
  const BlasKernelScope scope;
  return blas_kernel();
}

BlasKernelScope::BlasKernelScope() {
#ifdef SCLM_BLAS_KERNEL_SWITCH
  const char* target = switch_target();
  if (target == nullptr) return;
  const auto* api = openblas();
  previous_ = *api->table;
  setenv("OPENBLAS_CORETYPE", target, 1);  // read by dynamic_init, then removed again
  *api->table = nullptr;
  api->dynamic_init();
  unsetenv("OPENBLAS_CORETYPE");
  const char* now = api->corename();
  switched_ = now != nullptr && strcasecmp(now, target) == 0;
  if (!switched_) *api->table = previous_;  // this build lacks those kernels
#endif
}

BlasKernelScope::~BlasKernelScope() {
#ifdef SCLM_BLAS_KERNEL_SWITCH
  if (switched_) *openblas()->table = previous_;
#endif
}

}  // namespace sclm
