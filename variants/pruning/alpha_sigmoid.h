#pragma once
/// The α-sigmoid of Dynamic Context Pruning (Anagnostidis et al. 2023): the keep probability of a
/// token, α-sigmoid(s) = first component of α-entmax([s, 0]).
///
/// Derivation. α-entmax(z)_i = [(α-1) z_i - τ]_+^{1/(α-1)} with τ such that the components sum
/// to one. For z = [s, 0] write p = p_1, 1 - p = p_2. Where both are positive,
///   p^{α-1} = (α-1)s - τ,  (1-p)^{α-1} = -τ   ⇒   p^{α-1} - (1-p)^{α-1} = (α-1) s.      (*)
/// The left side increases from -1 (p = 0) to 1 (p = 1), so
///   p = 0 exactly for s ≤ -1/(α-1),  p = 1 exactly for s ≥ 1/(α-1),
/// and in between p is the unique root of (*). (*) is odd under s → -s, p → 1-p, so
/// α-sigmoid(-s) = 1 - α-sigmoid(s) and α-sigmoid(0) = 1/2. Closed forms of (*):
///   α = 1:   sigmoid(s) (the limit α → 1 of entmax is softmax);
///   α = 3/2: with c = s/2, √p - √(1-p) = c ⇒ p = 1/2 + (s/8)·√(8 - s²),  |s| ≤ 2
///            (evaluated as q = ((1 - c²)/(√(2 - c²) + |c|))², free of cancellation);
///   α = 2:   sparsemax, p = (s + 1)/2,                                  |s| ≤ 1;
///   α = 3:   p² - (1-p)² = 2p - 1 = 2s ⇒ p = s + 1/2,                    |s| ≤ 1/2;
///   α = 4:   with p = 1/2 + t, (*) is t³ + (3/4) t - (3/2) s = 0, a depressed cubic with one
///            real root (hyperbolic Cardano) t = sinh(asinh(6s)/3),        |s| ≤ 1/3;
///   α = ∞:   the hard step 1[s > 0] (1/2 at s = 0).
/// Every other α > 1 solves (*) for the smaller component q = min(p, 1-p) ∈ [0, 1/2] in float64,
/// only for the entries inside the support (outside it q = 0 exactly, with no iteration). On the
/// CPU, one pass per entry to float64 accuracy: for α ≥ 2 a table of (*) at 2048 even steps of q
/// (rebuilt when α changes), a binary search, a secant and two Newton steps; for α < 2 Newton in
/// v = (q^{α-1} - 1)/(α-1), in which (*) has a slope in [1, 2] for every α, so q is relatively
/// exact where tiny, started from a table of the root at 4096 even steps of s (rebuilt when α
/// changes; about two steps). Elsewhere: bisection with a fixed number of halvings
/// (kAlphaSigmoidBisectionSteps: error ≤ 2^-54 for float64 scores;
/// kAlphaSigmoidBisectionStepsLowPrecision for float32);
/// for α < 2, where q can be tiny, it is then recovered from (*) as q = ((α-1)s + (1-q)^{α-1})^{1/(α-1)}
/// wherever that is relatively more accurate (so log q is accurate too).
/// p = q for s ≤ 0 and 1 - q for s > 0, so the symmetry holds exactly. Bisection costs about
/// 6 elementwise passes per halving over the entries inside the support; the CPU solvers one pass
/// of 8 (table) or about 4 per Newton step (α < 2) transcendentals per entry; the closed forms one
/// or two passes.
///
/// On the CPU (float32 and float64) the forward is one fused pass per entry that also stores the
/// derivative below, so the backward is one product; elsewhere the same rules run as tensor ops.
///
/// Gradient (exact, custom backward). Implicit differentiation of (*), or the entmax Jacobian
/// diag(g) - g gᵀ/Σg with g_i = p_i^{2-α} restricted to its first row and column, gives
///   dp/ds = g_1 g_2 / (g_1 + g_2) = 1 / (p^{α-2} + (1-p)^{α-2})   inside the support,
/// and 0 outside (p ∈ {0, 1}). α = 1 gives p(1-p); α = 2 gives 1/2. For α < 2 it is continuous;
/// for α ≥ 2 it jumps to 0 at the support edges (from 1/2 at α = 2, from 1 for α > 2).
///
/// All arithmetic runs in float64; results come back in the dtype of `s`. The backward is
/// first-order only (no double backward).

#include <torch/types.h>

namespace attnlab {

/// Stand-in for log 0: what log_alpha_sigmoid returns where p = 0, and the floor of log I.
/// exp(kLogZero) is 0 in every floating dtype, so the attention weight of such a key is exactly 0.
inline constexpr double kLogZero = -1e4;

/// Halvings of the bracket [0, 1/2] in the bisection for α without a closed form (float64 scores).
inline constexpr int kAlphaSigmoidBisectionSteps = 52;
/// The same for float32 / half scores: error ≤ 2^-32, below float32's resolution near 1/2 (the
/// result is rounded to the scores' dtype); for α < 2 the refinement keeps small q relatively exact.
inline constexpr int kAlphaSigmoidBisectionStepsLowPrecision = 30;

/// For tests: solve by bisection on the CPU too (true), or go back to the table (false). Process-wide.
void alpha_sigmoid_force_bisection(bool force);

/// Half-width of the support of α-sigmoid: 0 < p < 1 exactly when |s| < 1/(α-1)
/// (∞ for α = 1, 0 for α = ∞). Throws std::invalid_argument for α < 1 or NaN.
double alpha_sigmoid_support(double alpha);

/// p = α-sigmoid(s), elementwise, for α ≥ 1 (α = ∞ allowed: the hard step, zero gradient).
/// s: any shape, floating → same shape and dtype. Differentiable in s.
torch::Tensor alpha_sigmoid(const torch::Tensor& s, double alpha);

/// log α-sigmoid(s), elementwise, with log 0 replaced by `log_floor` (also a lower clamp).
/// Its backward is fused, d log p/ds = (dp/ds)/p = 1 / (p^{α-1} + p (1-p)^{α-2}) inside the
/// support and 0 where p ∈ {0, 1} or the floor clamps, so it never forms 1/p and is finite
/// everywhere (no 0·∞ where p = 0 or underflows). α = 1 is torch::log_sigmoid (clamped).
torch::Tensor log_alpha_sigmoid(const torch::Tensor& s, double alpha, double log_floor = kLogZero);

}  // namespace attnlab
