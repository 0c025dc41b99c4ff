package dev.unroll.autodiff;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Checks derivative rules against central finite differences in float64 (like PyTorch's gradcheck
 * and gradgradcheck). For y = F(x₁..xₖ) and a fixed random w it compares, for L = ⟨w, F(x)⟩:
 * <ol>
 *   <li>the reverse-mode gradient ∂L/∂xᵢ with (L(x + h·eⱼ) − L(x − h·eⱼ)) / 2h for every entry;</li>
 *   <li>the identity ⟨u, Jᵀw⟩ = ⟨J·u, w⟩ for a random direction u, with J·u from the double-VJP;</li>
 *   <li>second order: the Hessian-vector product of L along u with the central difference of
 *       gradients (∇L(x + h·u) − ∇L(x − h·u)) / 2h.</li>
 * </ol>
 * Errors are relative in the max norm: max|a − n| / max(max|n|, max|a|, 1e-12).
 */
public final class GradCheck {
  private GradCheck() {}

  /**
   * Step for first differences, 2⁻²⁰ ≈ 9.5e-7: balances truncation O(h²) against rounding O(ε/h);
   * a power of two, so x ± h is exact for inputs on a binary grid.
   */
  public static final double H = 0x1p-20;
  /** Step for differences of gradients, 2⁻¹⁷ ≈ 7.6e-6 (one order less smooth). */
  public static final double H2 = 0x1p-17;

  /** The outcome of one check: the three relative errors. */
  public record Result(double gradError, double dualityError, double hvpError) {
    public double max() {
      return Math.max(gradError, Math.max(dualityError, hvpError));
    }
  }

  /** Runs the three checks on float64 inputs; {@code seed} fixes w and u. */
  public static Result check(Function<List<Tensor>, Tensor> fn, List<Tensor> inputs, long seed) {
    Rng rng = new Rng(seed);
    List<Tensor> xs = new ArrayList<>();
    for (Tensor x : inputs) {
      if (x.dtype() != DType.F64) throw new IllegalArgumentException("gradient checks run in float64");
      xs.add(Tensor.of(x.toDoubleArray(), x.shape()).requiresGrad(true));
    }
    Tensor y = fn.apply(xs);
    Tensor w = Tensor.randn(rng, DType.F64, y.shape());
    List<Tensor> u = new ArrayList<>();
    for (Tensor x : xs) u.add(Tensor.randn(rng, DType.F64, x.shape()));

    // 1. Reverse-mode gradient against central differences, entry by entry.
    Tensor loss = Derivatives.dot(List.of(y), List.of(w));
    List<Tensor> grads = Autograd.grad(List.of(loss), null, xs, true, true, true);
    double maxDiff = 0, maxNum = 0, maxAna = 0;
    for (int i = 0; i < xs.size(); i++) {
      double[] base = xs.get(i).toDoubleArray();
      double[] ana = grads.get(i).toDoubleArray();
      for (int j = 0; j < base.length; j++) {
        double num = (lossAt(fn, xs, w, i, j, base, H) - lossAt(fn, xs, w, i, j, base, -H)) / (2 * H);
        maxDiff = Math.max(maxDiff, Math.abs(num - ana[j]));
        maxNum = Math.max(maxNum, Math.abs(num));
        maxAna = Math.max(maxAna, Math.abs(ana[j]));
      }
    }
    double gradErr = maxDiff / Math.max(Math.max(maxNum, maxAna), 1e-12);

    // 2. ⟨u, Jᵀw⟩ = ⟨J u, w⟩ with J u by the double-VJP.
    Tensor yFresh = fn.apply(xs);
    double left = Derivatives.dot(Autograd.grad(List.of(yFresh), List.of(w), xs, false, true, true), u).item();
    double right = Derivatives.dot(List.of(Derivatives.jvp(yFresh, xs, u)), List.of(w)).item();
    double dualErr = Math.abs(left - right) / Math.max(Math.max(Math.abs(left), Math.abs(right)), 1e-12);

    // 3. Hessian-vector product of L along u against differences of gradients.
    List<Tensor> hu = Derivatives.hvpFromGradient(grads, xs, u, true);
    List<Tensor> gPlus = gradientAt(fn, xs, w, u, H2), gMinus = gradientAt(fn, xs, w, u, -H2);
    double hd = 0, hn = 0, ha = 0;
    for (int i = 0; i < xs.size(); i++) {
      double[] a = hu.get(i).toDoubleArray(), p = gPlus.get(i).toDoubleArray(), m = gMinus.get(i).toDoubleArray();
      for (int j = 0; j < a.length; j++) {
        double num = (p[j] - m[j]) / (2 * H2);
        hd = Math.max(hd, Math.abs(num - a[j]));
        hn = Math.max(hn, Math.abs(num));
        ha = Math.max(ha, Math.abs(a[j]));
      }
    }
    double hvpErr = Math.max(hn, ha) < 1e-9 ? hd : hd / Math.max(hn, ha);
    return new Result(gradErr, dualErr, hvpErr);
  }

  private static double lossAt(Function<List<Tensor>, Tensor> fn, List<Tensor> xs, Tensor w, int which, int entry, double[] base, double h) {
    List<Tensor> moved = new ArrayList<>(xs);
    double[] v = base.clone();
    v[entry] += h;
    moved.set(which, Tensor.of(v, xs.get(which).shape()));
    try (var s = GradMode.off()) {
      return Derivatives.dot(List.of(fn.apply(moved)), List.of(w)).item();
    }
  }

  private static List<Tensor> gradientAt(Function<List<Tensor>, Tensor> fn, List<Tensor> xs, Tensor w, List<Tensor> u, double h) {
    List<Tensor> moved = new ArrayList<>();
    for (int i = 0; i < xs.size(); i++) {
      double[] v = xs.get(i).toDoubleArray(), d = u.get(i).toDoubleArray();
      for (int j = 0; j < v.length; j++) v[j] += h * d[j];
      moved.add(Tensor.of(v, xs.get(i).shape()).requiresGrad(true));
    }
    Tensor l = Derivatives.dot(List.of(fn.apply(moved)), List.of(w));
    return Autograd.grad(List.of(l), null, moved, false, false, true);
  }
}
