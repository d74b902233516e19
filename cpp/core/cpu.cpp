#include "core/cpu.hpp"

#include <atomic>
#include <cstdlib>
#include <stdexcept>

namespace gradstep {

namespace {

Isa detect() {
#if GRADSTEP_X86 && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  // __builtin_cpu_supports checks CPUID and, in libgcc, that the OS saves the wide registers.
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma"))
    return Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Isa::avx2;
#endif
  return Isa::generic;
}

Isa initial_active() {
  Isa best = detected_isa();
  if (const char* env = std::getenv("GRADSTEP_ISA")) {
    try {
      Isa wanted = parse_isa(env);
      if (static_cast<int>(wanted) < static_cast<int>(best)) best = wanted;
    } catch (const std::invalid_argument&) {
      // An unknown value must not stop the import; keep the detected ISA.
    }
  }
  return best;
}

std::atomic<int> g_active{-1};

}  // namespace

Isa detected_isa() {
  static const Isa isa = detect();
  return isa;
}

Isa active_isa() {
  int v = g_active.load(std::memory_order_relaxed);
  if (v < 0) {
    v = static_cast<int>(initial_active());
    g_active.store(v, std::memory_order_relaxed);
  }
  return static_cast<Isa>(v);
}

void set_isa(Isa isa) {
  Isa best = detected_isa();
  if (static_cast<int>(isa) > static_cast<int>(best)) isa = best;
  g_active.store(static_cast<int>(isa), std::memory_order_relaxed);
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return "avx512";
    case Isa::avx2:
      return "avx2";
    default:
      return "generic";
  }
}

Isa parse_isa(const std::string& name) {
  if (name == "avx512") return Isa::avx512;
  if (name == "avx2") return Isa::avx2;
  if (name == "generic") return Isa::generic;
  throw std::invalid_argument("unknown ISA '" + name + "': expected 'avx512', 'avx2' or 'generic'");
}

}  // namespace gradstep
