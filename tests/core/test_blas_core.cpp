#include <torch/torch.h>

#include <cmath>
#include <cstdlib>

#include "core/blas_core.h"
#include "support/catch.h"

using namespace attnlab::blas;

namespace {

// The Intel Xeon of issue 19 (family 6, model 207): AVX-512 with BF16, no AMX; Debian's OpenBLAS
// 0.3.21 does not know it and loads Prescott.
const char* kXeon207 =
    "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 207\n"
    "flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl avx512_bf16\n"
    "\nprocessor\t: 1\nvendor_id\t: SomethingElse\nflags\t\t: fpu\n";

CpuInfo with_flags(std::initializer_list<const char*> flags) {
  CpuInfo cpu;
  for (const char* f : flags) cpu.flags.insert(f);
  return cpu;
}

}  // namespace

TEST_CASE("parse_cpuinfo reads the first processor's vendor and flags", "[blas]") {
  const CpuInfo cpu = parse_cpuinfo(kXeon207);
  CHECK(cpu.vendor == "GenuineIntel");
  CHECK(cpu.flags.count("avx512_bf16") == 1);
  CHECK(cpu.flags.count("avx2") == 1);
  CHECK(cpu.flags.size() == 15);
  CHECK(parse_cpuinfo("").flags.empty());
}

TEST_CASE("OpenBLAS cores rank by kernel width; an unknown name is -1", "[blas]") {
  CHECK(core_rank("Prescott") == 0);
  CHECK(core_rank("Nehalem") == 0);
  CHECK(core_rank("Sandybridge") == 1);
  CHECK(core_rank("HASWELL") == 2);
  CHECK(core_rank("Zen") == 2);
  CHECK(core_rank("Excavator") == 2);  // AVX2 + FMA: no re-execution onto Haswell
  CHECK(core_rank("SkylakeX") == 3);
  CHECK(core_rank("Cooperlake") == 4);
  CHECK(core_rank("Zen5") == -1);
  CHECK(core_rank("") == -1);
}

TEST_CASE("best_core follows the flags, not the vendor", "[blas]") {
  CHECK(best_core(parse_cpuinfo(kXeon207)) == "Cooperlake");
  CHECK(best_core(with_flags({"avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"})) == "SkylakeX");
  CHECK(best_core(with_flags({"avx", "avx2", "fma", "avx512f"})) == "Haswell");  // partial AVX-512 is not enough
  CHECK(best_core(with_flags({"avx", "avx2", "fma"})) == "Haswell");
  CHECK(best_core(with_flags({"avx", "avx2"})) == "Sandybridge");  // AVX2 kernels need FMA too
  CHECK(best_core(with_flags({"sse4_2"})).empty());
}

TEST_CASE("core_to_set: only a known core weaker than the flags allow, never over the user", "[blas]") {
  const CpuInfo xeon = parse_cpuinfo(kXeon207);
  CHECK(core_to_set(xeon, "Prescott", false) == "Cooperlake");  // the fallback of issue 19
  CHECK(core_to_set(xeon, "Haswell", false) == "Cooperlake");
  CHECK(core_to_set(xeon, "Cooperlake", false).empty());       // already right
  CHECK(core_to_set(xeon, "Prescott", true).empty());          // the user's OPENBLAS_CORETYPE wins
  CHECK(core_to_set(xeon, "", false).empty());                  // not OpenBLAS
  CHECK(core_to_set(xeon, "Zen5", false).empty());              // a core the table lacks: never assume
  CHECK(core_to_set(with_flags({"sse4_2"}), "Prescott", false).empty());
  CHECK(core_to_set(with_flags({"avx", "avx2", "fma"}), "Zen", false).empty());
  CHECK(core_to_set(with_flags({"avx", "avx2", "fma"}), "Nehalem", false) == "Haswell");
}

TEST_CASE("the loaded sgemm passes its self-check and has a rate; the description names who chose the core", "[blas]") {
  REQUIRE(torch::mm(torch::ones({3, 3}), torch::ones({3, 3})).sum().item<float>() == 27.0f);  // LibTorch's BLAS is loaded
  if (current_core().empty()) {
    WARN("the BLAS is not OpenBLAS: nothing to check");
    return;
  }
  const double error = sgemm_self_check_error();
  CHECK(std::isfinite(error));
  CHECK(error < 1e-5);
  const double gflops = measure_gemm_gflops();
  CHECK(std::isfinite(gflops));
  CHECK(gflops > 0.1);
  const char* user = std::getenv("OPENBLAS_CORETYPE");
  const char* marker = std::getenv("ATTNLAB_BLAS_CORE");
  if (!user && !marker) CHECK(core_description() == current_core() + " (OpenBLAS)");
  setenv("ATTNLAB_BLAS_CORE", "chosen:Haswell:Prescott", 1);
  CHECK(core_description() == current_core() + " (attnlab; OpenBLAS fell back to Prescott)");
  setenv("ATTNLAB_BLAS_CORE", "rejected:Haswell:Prescott", 1);
  CHECK(core_description() == current_core() + " (OpenBLAS; Haswell failed the self-check)");
  if (marker) setenv("ATTNLAB_BLAS_CORE", marker, 1); else unsetenv("ATTNLAB_BLAS_CORE");
}
