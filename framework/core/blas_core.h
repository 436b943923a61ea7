#pragma once
/// The right OpenBLAS kernels on every x86 CPU (issue 19, item 0).
///
/// Debian's OpenBLAS (DYNAMIC_ARCH) picks its kernels when the library loads, from the CPU model.
/// A CPU it does not know gets the generic `Prescott` kernels, at about 1/6 of the speed. attnlab
/// compares the core OpenBLAS chose with the best one the CPU's flags allow and, when OpenBLAS
/// fell short, re-executes itself with `OPENBLAS_CORETYPE` set, then checks the new kernels
/// against a naive product before trusting them. A user's own `OPENBLAS_CORETYPE` is never touched.
/// Torch-free: the pure decision is testable with faked flags and core names.

#include <set>
#include <string>

namespace attnlab::blas {

/// What /proc/cpuinfo says of the first processor.
struct CpuInfo {
  std::string vendor;           ///< "GenuineIntel", "AuthenticAMD", ...
  std::set<std::string> flags;  ///< "avx2", "fma", "avx512f", ...
};

/// Parses the text of /proc/cpuinfo (the first processor block; missing fields stay empty).
CpuInfo parse_cpuinfo(const std::string& text);

/// OpenBLAS core names by the vector width of their kernels: 0 SSE only (Prescott, Core2,
/// Nehalem, Opteron, ...), 1 AVX (Sandybridge, Bulldozer), 2 AVX2+FMA (Haswell, Zen, Excavator), 3 AVX-512
/// (SkylakeX), 4 AVX-512 with BF16 (Cooperlake). -1 for a name this table does not know (then
/// attnlab leaves OpenBLAS alone: never assume). Case-insensitive.
int core_rank(const std::string& core);

/// The best OpenBLAS core these flags can run ("" when only SSE kernels apply).
std::string best_core(const CpuInfo& cpu);

/// The core to re-execute with, or "" to leave OpenBLAS as it is: "" when the user set
/// OPENBLAS_CORETYPE, when `current` is unknown (not OpenBLAS, or a core the table lacks), and
/// when `current` is already as good as the flags allow.
std::string core_to_set(const CpuInfo& cpu, const std::string& current, bool user_set);

/// Call first thing in main(). May not return: re-executes /proc/self/exe with OPENBLAS_CORETYPE
/// when OpenBLAS fell back to weaker kernels than the CPU allows; after that re-execution it runs
/// the numeric self-check and, should the new kernels compute wrong results, re-executes once more
/// without them. Marks the environment (ATTNLAB_BLAS_CORE) so that sweep children skip all this.
/// ATTNLAB_BLAS_SIMULATE_FALLBACK=1 treats a set OPENBLAS_CORETYPE as OpenBLAS's own fallback
/// (tests and bench/: `OPENBLAS_CORETYPE=Prescott` then reproduces an unknown CPU anywhere).
void ensure_fast_kernels(char** argv);

/// The core in use and who chose it, for the run log and run.h5: "Cooperlake (OpenBLAS)",
/// "Haswell (attnlab; OpenBLAS fell back to Prescott)", "Haswell (OPENBLAS_CORETYPE)",
/// "n/a (not OpenBLAS)".
std::string core_description();

/// The OpenBLAS core name in use ("" when the BLAS is not OpenBLAS).
std::string current_core();

/// Single-precision GEMM rate (GFLOP/s) of a 512^3 product on the BLAS's current threads, best of
/// 3; NaN when no cblas_sgemm is loaded.
double measure_gemm_gflops();

/// Max relative error of cblas_sgemm against a naive double-precision product on odd sizes
/// (65 x 47 by 47 x 81, transposes included); NaN when no cblas_sgemm is loaded.
double sgemm_self_check_error();

}  // namespace attnlab::blas
