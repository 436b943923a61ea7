#include "pruning/alpha_sigmoid.h"

#include <torch/csrc/autograd/custom_function.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace attnlab {

namespace {

std::atomic<bool> force_bisection{false};

/// The smaller component q = min(p, 1 - p) with the logs the forward needs: log q, log(1 - q) and
/// q^{α-1}. The Box-Cox solver has log q and q^{α-1} = 1 + (α-1) v without a transcendental.
struct Root {
  double q = 0.0;
  double log_q = -std::numeric_limits<double>::infinity();
  double log_r = 0.0;  // log(1 - q)
  double q_a = 0.0;    // q^{α-1}
};

/// Root of q from q alone (closed forms, the tabulated solver).
Root root_of(double q, double a) {
  Root root;
  root.q = q;
  if (q > 0.0) {
    root.log_q = std::log(q);
    root.log_r = std::log1p(-q);
    root.q_a = std::exp(a * root.log_q);
  }
  return root;
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/// Bisection of (*) for the entries strictly inside the support (a m > -1), in `steps` halvings;
/// m: float64 [N] → q [N].
torch::Tensor bisect_inside_support(const torch::Tensor& m, double alpha, int steps) {
  const double a = alpha - 1.0;
  // Bisection on (*) divided by (α-1): (q^{α-1} - (1-q)^{α-1})/(α-1) = m, via expm1 so that
  // α → 1 stays well conditioned (the left side tends to logit(q)).
  auto lo = torch::zeros_like(m);
  auto hi = torch::full_like(m, 0.5);
  const auto target = a * m;
  for (int i = 0; i < steps; ++i) {
    auto mid = 0.5 * (lo + hi);
    auto f = torch::expm1(a * torch::log(mid)) - torch::expm1(a * torch::log1p(-mid));
    auto below = f < target;
    lo = torch::where(below, mid, lo);
    hi = torch::where(below, hi, mid);
  }
  auto q = 0.5 * (lo + hi);
  if (alpha < 2.0) {
    // Bisection is accurate to 2^-(steps+2) absolutely, not relatively: for α < 2, q can be far
    // smaller (q ~ (distance to the edge)^{1/(α-1)}). Recover it from (*) read as
    // q^{α-1} = (α-1)s + (1-q)^{α-1}, insensitive to q's error there, wherever that is more
    // accurate ((α-1) q^{α-2} > 1, i.e. relative error ε/((α-1) q^{α-1}) < ε/q).
    auto edge_distance = (target + 1.0) + torch::expm1(a * torch::log1p(-q));  // q^{α-1}
    auto refined = edge_distance.clamp_min(0.0).pow(1.0 / a);
    q = torch::where(a * q.pow(a - 1.0) > 1.0, refined, q);
  }
  return q;
}

/// q for α ≥ 2 on the CPU. (*) divided by a = α-1 is f(q) = (q^a - (1-q)^a)/a, smooth on [0, 1/2]
/// with df/dq = q^{a-1} + (1-q)^{a-1} ∈ [2^{2-a}, 1]: a table of f at 2048 even steps of q
/// brackets the root by binary search, a secant in the bracket starts within ~1e-7 and two Newton
/// steps end at float64 accuracy (8 transcendentals per entry).
class TabulatedSolver {
 public:
  explicit TabulatedSolver(double a) : a_(a) {
    thread_local double table_a = 0.0;
    thread_local std::vector<double> table(kSteps + 1);  // f(i / (2 kSteps)); exp(-inf) = 0 at q = 0
    if (table_a != a) {
      for (int64_t i = 0; i <= kSteps; ++i) table[i] = f(0.5 * static_cast<double>(i) / kSteps);
      table_a = a;
    }
    table_ = table.data();
  }
  double operator()(double m) const {
    const double* t = table_;
    const int64_t i = std::clamp<int64_t>(std::upper_bound(t, t + kSteps + 1, m) - t - 1, 0, kSteps - 1);
    const double lo = 0.5 * static_cast<double>(i) / kSteps, hi = 0.5 * static_cast<double>(i + 1) / kSteps;
    double q = lo + (hi - lo) * (m - t[i]) / (t[i + 1] - t[i]);
    for (int step = 0; step < 2; ++step) {
      const double slope = (q > 0.0 ? std::exp((a_ - 1.0) * std::log(q)) : (a_ == 1.0 ? 1.0 : 0.0)) +
                           std::exp((a_ - 1.0) * std::log1p(-q));
      q = std::clamp(q - (f(q) - m) / slope, lo, hi);
    }
    return q;
  }

 private:
  static constexpr int64_t kSteps = 2048;
  double f(double q) const { return (std::exp(a_ * std::log(q)) - std::exp(a_ * std::log1p(-q))) / a_; }
  double a_;
  const double* table_ = nullptr;  // this thread's table: the solver lives on the thread that made it
};

/// q for 1 < α < 2 on the CPU. With v = (q^a - 1)/a (log q in the limit a → 0), f = v + g(q),
/// g = -expm1(a log1p(-q))/a ∈ [0, log 2], and df/dv = 1 + q^{1-a} (1-q)^{a-1} ∈ [1, 2]: Newton in
/// v converges for every a, with q relatively exact even where tiny. It starts from a cubic
/// Hermite table of the root (v and dv/dm = 1/f') at 4096 even steps of m over
/// [max(-1/a, -40), 0], and below -40 from v = m (g ≈ q < e^-40 there).
/// `q_tol`: the relative accuracy of q wanted. Newton stops when its step, which is about the
/// error of the point it just evaluated, is below q_tol q^a (q's relative error is dv / q^a); the
/// default is float64's; float32 scores ask for 1e-9.
/// One solver per thread at a time.
class BoxCoxSolver {
 public:
  static constexpr double kFloat64Tol = 1e-16;
  explicit BoxCoxSolver(double a, double q_tol = kFloat64Tol)
      : a_(a), lo_(std::max(-1.0 / a, -40.0)), v_top_(std::expm1(-a * std::log(2.0)) / a), q_tol_(q_tol) {
    thread_local double table_a = 0.0;
    thread_local std::vector<double> table(2 * (kSteps + 1));  // {v, dv/dm} at m = lo + i (0 - lo) / kSteps
    if (table_a != a) {
      for (int64_t i = 0; i <= kSteps; ++i) {
        double slope = 1.0;
        const Root at = newton(m_at(i), std::max(m_at(i) - std::log(2.0), -1.0 / a), kFloat64Tol, &slope);
        table[2 * i] = (at.q_a - 1.0) / a;  // v
        table[2 * i + 1] = 1.0 / slope;     // dv/dm
      }
      table_a = a;
    }
    table_ = table.data();
  }
  double operator()(double m) const { return solve(m).q; }
  Root solve(double m) const {
    double v = m;
    if (m >= lo_) {
      const double h = -lo_ / kSteps, x = (m - lo_) / h;
      const int64_t i = std::clamp<int64_t>(static_cast<int64_t>(x), 0, kSteps - 1);
      const double t = x - static_cast<double>(i), t2 = t * t, t3 = t2 * t;
      const double* n = table_ + 2 * i;  // v_i, d_i, v_{i+1}, d_{i+1}
      v = (2 * t3 - 3 * t2 + 1) * n[0] + (t3 - 2 * t2 + t) * h * n[1] + (3 * t2 - 2 * t3) * n[2] + (t3 - t2) * h * n[3];
    }
    return newton(m, std::clamp(v, -1.0 / a_, v_top_), q_tol_, nullptr);
  }

 private:
  static constexpr int64_t kSteps = 4096;
  double m_at(int64_t i) const { return lo_ - lo_ * static_cast<double>(i) / kSteps; }
  /// The root v of f(v) = m, from `v`, as a Root. Newton stops at a step below 1e-15 max(1, |v|)
  /// or below q_tol q^a; the point evaluated last is returned when the step is below q_tol q^a,
  /// so q, log q and log(1 - q) need no second evaluation. 4 transcendentals an evaluation, since
  /// q^{1-a} = q / q^a and (1-q)^{a-1} = (1-q)^a / (1-q) reuse what f needs. `slope`: f' there.
  Root newton(double m, double v, double q_tol, double* slope_out) const {
    const double a = a_;
    Root at;
    for (int step = 0; step < 40; ++step) {
      at = evaluate(v);
      const double r_a = std::expm1(a * at.log_r);  // (1-q)^a - 1
      const double f = v - r_a / a;
      const double q_pow = at.q_a > 0.0 ? at.q / at.q_a : 0.0;  // q^{1-a}: 0 at the support edge (a < 1)
      const double slope = 1.0 + q_pow * (1.0 + r_a) / (1.0 - at.q);
      if (slope_out) *slope_out = slope;
      const double next = std::clamp(v - (f - m) / slope, -1.0 / a, v_top_);
      const double step_size = std::abs(next - v);
      if (step_size <= 1e-15 * std::max(1.0, std::abs(v)) || step_size <= q_tol * at.q_a) {
        if (step_size > q_tol * at.q_a) at = evaluate(next);  // the step still moves q: take its end
        break;
      }
      v = next;
    }
    return at;
  }
  Root evaluate(double v) const {
    Root at;
    at.q_a = 1.0 + a_ * v;
    at.log_q = std::log1p(a_ * v) / a_;
    at.q = std::exp(at.log_q);
    at.log_r = std::log1p(-at.q);
    return at;
  }
  double a_, lo_, v_top_, q_tol_;  // v_top: v at q = 1/2
  const double* table_ = nullptr;  // this thread's table: the solver lives on the thread that made it
};

/// q for α > 1 without a closed form on the CPU; m: float64 contiguous, every entry in (-1/a, 0].
torch::Tensor smaller_component_cpu(const torch::Tensor& m, double alpha) {
  auto out = torch::empty_like(m);
  const double a = alpha - 1.0;
  const double* in = m.data_ptr<double>();
  double* q = out.data_ptr<double>();
  if (a >= 1.0) {
    at::parallel_for(0, m.numel(), 4096, [&](int64_t begin, int64_t end) {
      const TabulatedSolver solve(a);
      for (int64_t e = begin; e < end; ++e) q[e] = solve(in[e]);
    });
  } else {
    at::parallel_for(0, m.numel(), 4096, [&](int64_t begin, int64_t end) {
      const BoxCoxSolver solve(a);
      for (int64_t e = begin; e < end; ++e) q[e] = solve(in[e]);
    });
  }
  return out;
}

/// The smaller component q = min(p, 1 - p) ∈ [0, 1/2] of α-entmax([s, 0]) for m = -|s| ≤ 0,
/// α ∈ (1, ∞). m: float64, any shape → same shape. `steps`: bisection halvings where α has no
/// closed form (only the entries inside the support are bisected; the others are exactly 0).
torch::Tensor smaller_component(const torch::Tensor& m, double alpha, int steps) {
  const double a = alpha - 1.0;
  torch::Tensor q;
  if (alpha == 1.5) {
    // √q = (√(2-c²) - c)/2 with c = |s|/2, written without cancellation at the support edge.
    auto c = (-0.5 * m).clamp_max(1.0);
    q = ((1.0 - c * c) / ((2.0 - c * c).sqrt() + c)).square();
  } else if (alpha == 2.0) {
    q = 0.5 * (m + 1.0);
  } else if (alpha == 3.0) {
    q = m + 0.5;
  } else if (alpha == 4.0) {
    q = 0.5 + torch::sinh(torch::asinh(6.0 * m) / 3.0);
  } else {
    auto inside = a * m > -1.0;
    auto m_inside = m.masked_select(inside);  // [n] float64, contiguous
    auto q_inside = m.is_cpu() && !force_bisection.load() ? smaller_component_cpu(m_inside, alpha)
                                                          : bisect_inside_support(m_inside, alpha, steps);
    q = torch::zeros_like(m).masked_scatter(inside, q_inside);
  }
  return q.clamp(0.0, 0.5).masked_fill(m == 0, 0.5).masked_fill(a * m <= -1.0, 0.0);
}

/// q = min(p, 1-p) for m = -|s| ≤ 0 and a finite α > 1, one entry: smaller_component's rules.
/// q_tol: BoxCoxSolver's. (Made per thread: its solver's table is the thread's.)
class ScalarSmallerComponent {
 public:
  ScalarSmallerComponent(double alpha, double q_tol) : alpha_(alpha), a_(alpha - 1.0) {
    const bool closed_form = alpha == 1.5 || alpha == 2.0 || alpha == 3.0 || alpha == 4.0;
    if (!closed_form && a_ >= 1.0) table_.emplace(a_);
    if (!closed_form && a_ < 1.0) box_cox_.emplace(a_, q_tol);
  }
  Root operator()(double m) const {
    if (a_ * m <= -1.0) return Root{};
    if (m == 0.0) return root_of(0.5, a_);
    double q;
    if (table_) {
      q = (*table_)(m);
    } else if (box_cox_) {
      const Root root = box_cox_->solve(m);
      if (root.q > 0.0 && root.q <= 0.5) return root;
      return root_of(std::clamp(root.q, 0.0, 0.5), a_);  // underflow (log q = -inf, as the tensor route) or the clamp
    } else if (alpha_ == 1.5) {
      const double c = std::min(-0.5 * m, 1.0);
      q = (1.0 - c * c) / (std::sqrt(2.0 - c * c) + c);
      q *= q;
    } else if (alpha_ == 2.0) {
      q = 0.5 * (m + 1.0);
    } else if (alpha_ == 3.0) {
      q = m + 0.5;
    } else {  // 4
      q = 0.5 + std::sinh(std::asinh(6.0 * m) / 3.0);
    }
    return root_of(std::clamp(q, 0.0, 0.5), a_);
  }

 private:
  double alpha_, a_;
  std::optional<TabulatedSolver> table_;
  std::optional<BoxCoxSolver> box_cox_;
};

/// The CPU forward in one pass per entry: out = α-sigmoid(s), or log α-sigmoid(s) clamped at
/// `log_floor`, and its derivative d = d out/ds (float64, for the backward), with the formulas of
/// AlphaSigmoidFunction::backward. The many float64 passes over [B, T, T] of the tensor route were
/// most of a DCP training step.
template <typename T>
void fused_forward(const T* s, T* out, double* d, int64_t n, double alpha, bool log_output, double log_floor) {
  at::parallel_for(0, n, 4096, [&](int64_t begin, int64_t end) {
    // float32 scores need q to float32's accuracy: 1e-9 relative leaves a margin of 60x
    const ScalarSmallerComponent smaller(alpha, std::is_same<T, float>::value ? 1e-9 : BoxCoxSolver::kFloat64Tol);
    for (int64_t e = begin; e < end; ++e) {
      const double x = static_cast<double>(s[e]);
      const bool positive = x > 0;
      const Root root = smaller(-std::abs(x));
      const double q = root.q;
      double slope = 0.0;
      if (q > 0.0) {  // inside the support
        const double r_pow = std::exp((alpha - 2.0) * root.log_r);  // (1-q)^{α-2}
        const double dp = 1.0 / (root.q_a / q + r_pow);                // q^{α-2} = q^{α-1} / q
        slope = !log_output ? dp : positive ? dp / (1.0 - q) : 1.0 / (root.q_a + q * r_pow);
      }
      double value = positive ? 1.0 - q : q;
      if (log_output) {
        value = positive ? root.log_r : root.log_q;
        if (value <= log_floor) value = log_floor, slope = 0.0;
      }
      out[e] = static_cast<T>(value);
      d[e] = slope;
    }
  });
}

/// α-sigmoid (or its log) for α ∈ (1, ∞] with the exact Jacobian of the two-element entmax.
struct AlphaSigmoidFunction : public torch::autograd::Function<AlphaSigmoidFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& s, double alpha, bool log_output,
                               double log_floor) {
    const bool fused = s.is_cpu() && !std::isinf(alpha) && !force_bisection.load() &&
                       (s.scalar_type() == torch::kFloat32 || s.scalar_type() == torch::kFloat64);
    if (fused) {
      auto input = s.contiguous();
      auto out = torch::empty_like(input);
      auto d = torch::empty(input.sizes(), input.options().dtype(torch::kFloat64));
      if (input.scalar_type() == torch::kFloat32)
        fused_forward(input.data_ptr<float>(), out.data_ptr<float>(), d.data_ptr<double>(), input.numel(), alpha, log_output, log_floor);
      else
        fused_forward(input.data_ptr<double>(), out.data_ptr<double>(), d.data_ptr<double>(), input.numel(), alpha, log_output, log_floor);
      ctx->saved_data["d"] = d;
      return out;
    }
    auto s64 = s.to(torch::kFloat64);
    auto positive = s64 > 0;
    torch::Tensor q;  // min(p, 1-p), float64
    if (std::isinf(alpha)) {
      q = torch::where(s64 == 0, torch::full_like(s64, 0.5), torch::zeros_like(s64));
    } else {
      // float64 scores get float64 accuracy; lower precisions need far fewer halvings.
      const int steps = s.scalar_type() == torch::kFloat64 ? kAlphaSigmoidBisectionSteps : kAlphaSigmoidBisectionStepsLowPrecision;
      q = smaller_component(-s64.abs(), alpha, steps);
    }
    torch::Tensor out;
    if (log_output) {
      out = torch::where(positive, torch::log1p(-q), torch::log(q)).clamp_min(log_floor);
      ctx->saved_data["clamped"] = out <= log_floor;
    } else {
      out = torch::where(positive, 1.0 - q, q);
    }
    ctx->saved_data["q"] = q;
    ctx->saved_data["positive"] = positive;
    ctx->saved_data["alpha"] = alpha;
    ctx->saved_data["log_output"] = log_output;
    return out.to(s.scalar_type());
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    const auto& grad = grad_outputs[0];
    if (ctx->saved_data.count("d")) {
      auto grad_s = (grad.to(torch::kFloat64) * ctx->saved_data["d"].toTensor()).to(grad.scalar_type());
      return {grad_s, torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
    auto q = ctx->saved_data["q"].toTensor();
    auto positive = ctx->saved_data["positive"].toTensor();
    const double alpha = ctx->saved_data["alpha"].toDouble();
    const bool log_output = ctx->saved_data["log_output"].toBool();

    torch::Tensor d;  // d out / ds, float64
    if (std::isinf(alpha)) {
      d = torch::zeros_like(q);
    } else {
      auto inside = q > 0;
      auto qs = torch::where(inside, q, torch::full_like(q, 0.5));  // no pow(0, negative)
      auto dp = 1.0 / (qs.pow(alpha - 2.0) + (1.0 - qs).pow(alpha - 2.0));  // symmetric in p ↔ 1-p
      if (log_output) {
        auto dlog_small = 1.0 / (qs.pow(alpha - 1.0) + qs * (1.0 - qs).pow(alpha - 2.0));  // dp/ds / q
        d = torch::where(positive, dp / (1.0 - qs), dlog_small);
        inside = inside & ~ctx->saved_data["clamped"].toTensor();
      } else {
        d = dp;
      }
      d = d.masked_fill(~inside, 0.0);
    }
    auto grad_s = (grad.to(torch::kFloat64) * d).to(grad.scalar_type());
    return {grad_s, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

void check_input(const torch::Tensor& s, double alpha) {
  TORCH_CHECK(s.is_floating_point(), "alpha_sigmoid needs a floating tensor, got ", s.scalar_type());
  alpha_sigmoid_support(alpha);
}

}  // namespace

void alpha_sigmoid_force_bisection(bool force) { force_bisection = force; }

double alpha_sigmoid_support(double alpha) {
  if (!(alpha >= 1.0)) {
    std::ostringstream message;
    message << "alpha-sigmoid needs alpha >= 1, got " << alpha;
    throw std::invalid_argument(message.str());
  }
  if (alpha == 1.0) return std::numeric_limits<double>::infinity();
  return 1.0 / (alpha - 1.0);  // 0 for alpha = inf
}

torch::Tensor alpha_sigmoid(const torch::Tensor& s, double alpha) {
  check_input(s, alpha);
  if (alpha == 1.0) return torch::sigmoid(s);
  return AlphaSigmoidFunction::apply(s, alpha, false, kLogZero);
}

torch::Tensor log_alpha_sigmoid(const torch::Tensor& s, double alpha, double log_floor) {
  check_input(s, alpha);
  if (alpha == 1.0) return torch::log_sigmoid(s).clamp_min(log_floor);
  return AlphaSigmoidFunction::apply(s, alpha, true, log_floor);
}

}  // namespace attnlab
