// Which instruction set the kernels may use, decided once at run time.
//
// The library is compiled for baseline x86-64; kernels compiled with -mavx2/-mavx512f live in
// their own files and are only called when CPUID (and the OS, via XGETBV) says the registers
// exist. GRADSTEP_ISA=avx512|avx2|generic forces a lower path (for tests and benchmarks); asking
// for an ISA the CPU lacks falls back to the best available one rather than crashing.
#pragma once

#include <string>

namespace gradstep {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

Isa detected_isa();     // best the CPU supports
Isa active_isa();       // what the kernels use (detected, possibly lowered by GRADSTEP_ISA / set_isa)
void set_isa(Isa isa);  // clamps to detected_isa()
const char* isa_name(Isa isa);
Isa parse_isa(const std::string& name);  // throws std::invalid_argument

}  // namespace gradstep
