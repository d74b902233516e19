#include <numeric>
#include <vector>

#include "bindings/common.hpp"
#include "core/memory.hpp"
#include "core/parallel.hpp"
#include "core/profile.hpp"
#include "core/rng.hpp"

namespace gradstep {
namespace bindings {

void init_core(py::module_& m) {
  m.def("get_num_threads", &get_num_threads, "Threads the kernels use.");
  m.def("set_num_threads", &set_num_threads, py::arg("n"), "Set the threads the kernels use (>= 1).");
  m.def("_parallel_region_count", &parallel_region_count, "Multi-threaded regions started so far.");
  m.def("_has_openmp", &has_openmp, "True when built with OpenMP (False: a serial build).");
  m.def("_set_profiling", &set_profiling, py::arg("on"),
        "Switch the step profile's counters on or off (core/profile.hpp; off by default).");
  m.def("_reset_profile", &reset_profile, "Zero the step profile's counters.");
  m.def(
      "_profile",
      []() {
        py::list rows;
        for (int k = 0; k < static_cast<int>(ProfiledKernel::count); ++k) {
          const ProfileTotals t = profile_totals(static_cast<ProfiledKernel>(k));
          py::dict row;
          row["kernel"] = profile_kernel_name(static_cast<ProfiledKernel>(k));
          row["seconds"] = t.seconds;
          row["flops"] = t.flops;
          row["bytes"] = t.bytes;
          row["calls"] = t.calls;
          rows.append(row);
        }
        return rows;
      },
      "The step profile's counters since the last reset: one dict per kernel (kernel, seconds, flops, bytes, "
      "calls).");
  m.def(
      "_parallel_probe",
      [](std::int64_t n) {
        // Which thread ran each item of a parallel_for over n items (tests: thread limits).
        std::vector<int> owner(static_cast<std::size_t>(n > 0 ? n : 0), -1);
        {
          py::gil_scoped_release release;
          parallel_for(0, n, 1, [&](std::int64_t b, std::int64_t e) {
            int thread = 0;
#if GRADSTEP_OPENMP
            thread = omp_get_thread_num();
#endif
            for (std::int64_t i = b; i < e; ++i) owner[static_cast<std::size_t>(i)] = thread;
          });
        }
        return owner;
      },
      py::arg("n"), "Thread index that ran each of n items of one parallel_for (for tests).");
  m.def("allocation_count", &allocation_count,
        "Core buffer allocations since start-up (flat in a steady-state training loop).");
  m.def(
      "permutation",
      [](std::int64_t n, std::uint64_t seed, std::uint64_t epoch) {
        if (n < 0) throw std::invalid_argument("permutation: n must be >= 0");
        py::array_t<std::int64_t> out(n);
        std::int64_t* p = out.mutable_data();
        std::iota(p, p + n, std::int64_t{0});
        // Fisher-Yates; swap index i draws its position from counter (epoch, i): reproducible.
        const std::uint64_t key = rng::derive_key(seed, 0x5A0FF1E5ull, epoch);
        for (std::int64_t i = n - 1; i > 0; --i) {
          const auto j = static_cast<std::int64_t>(
              rng::uniform_int(key, epoch, static_cast<std::uint64_t>(i), static_cast<std::uint64_t>(i + 1)));
          std::swap(p[i], p[j]);
        }
        return out;
      },
      py::arg("n"), py::arg("seed"), py::arg("epoch"), "A permutation of range(n) that depends only on (seed, epoch).");
  m.def(
      "uniform",
      [](std::int64_t n, std::uint64_t seed, std::uint64_t stream) {
        py::array_t<float> out(n);
        float* p = out.mutable_data();
        const std::uint64_t key = rng::derive_key(seed, 0x0C0FFEEull);
        for (std::int64_t i = 0; i < n; ++i) p[i] = rng::uniform(key, stream, static_cast<std::uint64_t>(i));
        return out;
      },
      py::arg("n"), py::arg("seed"), py::arg("stream") = 0, "n uniform [0, 1) floats from the counter-based RNG.");
  m.def(
      "derive_seed", [](std::uint64_t seed, std::uint64_t a) { return rng::derive_key(seed, a); }, py::arg("seed"),
      py::arg("index"), "A 64-bit key derived from (seed, index).");
}

}  // namespace bindings
}  // namespace gradstep
