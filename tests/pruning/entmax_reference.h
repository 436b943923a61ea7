#pragma once
/// Independent reference for the pruning tests: the first component of α-entmax(z) for
/// z = {s, 0}, from its definition p_i = [(α-1) z_i - τ]_+^{1/(α-1)}, Σ p_i = 1, by bisection on
/// the threshold τ in long double (200 halvings). Shares no code or formula with alpha_sigmoid.
///
/// Conditioning: τ comes out with absolute error ~1e-19, and the k-th root (k = 1/(α-1)) of
/// the smaller component's argument would amplify it without bound for α > 2 near the support
/// edge; the larger component's argument is ≥ 2^{1-α}, so the smaller one is taken as
/// 1 - larger (absolute error ≲ k 2^{α-2} 1e-19).
#include <algorithm>
#include <cmath>

namespace attnlab::test {

inline double entmax_first(double s, double alpha) {
  if (alpha == 1.0) return static_cast<double>(1.0L / (1.0L + std::exp(-static_cast<long double>(s))));
  const long double a = static_cast<long double>(alpha) - 1.0L, power = 1.0L / a;
  const long double u[2] = {a * s, 0.0L};
  auto component = [&](long double ui, long double tau) { return ui > tau ? std::pow(ui - tau, power) : 0.0L; };
  auto total = [&](long double tau) { return component(u[0], tau) + component(u[1], tau); };
  // Support first (as in sort-based entmax): one component alone is active iff the other lies
  // at or below the threshold τ = u_max - 1 that makes the active one exactly 1.
  if (u[0] <= u[1] - 1.0L) return 0.0;
  if (u[1] <= u[0] - 1.0L) return 1.0;
  long double hi = std::max(u[0], u[1]), lo = hi - 1.0L;  // total(lo) >= 1 > total(hi) = 0
  for (int i = 0; i < 200; ++i) {
    const long double mid = 0.5L * (lo + hi);
    (total(mid) >= 1.0L ? lo : hi) = mid;
  }
  const long double tau = 0.5L * (lo + hi);
  return static_cast<double>(u[0] >= u[1] ? component(u[0], tau) : 1.0L - component(u[1], tau));
}

}  // namespace attnlab::test
