package dev.unroll.tda.curvature;

/**
 * Inverse-curvature-vector products from operator actions alone: conjugate gradient (for G
 * symmetric positive definite, e.g. damped Gauss-Newton) and LiSSA (Agarwal et al. 2017; a
 * truncated Neumann series of the scaled operator).
 */
public final class IterativeSolvers {
  private IterativeSolvers() {}

  /** The result and how it was reached. */
  public record Solution(double[] x, int iterations, double relativeResidual) {}

  /**
   * Solves Gx = b by conjugate gradient until ‖b − Gx‖ ≤ tol·‖b‖ or maxIter iterations.
   * Throws when G shows a non-positive curvature direction (pᵀGp ≤ 0), which makes CG meaningless;
   * add damping.
   */
  public static Solution conjugateGradient(LinearOperator g, double[] b, double tol, int maxIter) {
    int n = b.length;
    double[] x = new double[n], r = b.clone(), p = b.clone();
    double rr = dot(r, r), bb = Math.sqrt(rr);
    if (bb == 0) return new Solution(x, 0, 0);
    int it = 0;
    while (it < maxIter && Math.sqrt(rr) > tol * bb) {
      double[] gp = g.apply(p);
      double pgp = dot(p, gp);
      if (!(pgp > 0)) throw new ArithmeticException("conjugate gradient: curvature p^T G p = " + pgp + " <= 0 at iteration " + it + "; the operator is not positive definite, add damping");
      double alpha = rr / pgp;
      for (int i = 0; i < n; i++) {
        x[i] += alpha * p[i];
        r[i] -= alpha * gp[i];
      }
      double rrNew = dot(r, r);
      double beta = rrNew / rr;
      for (int i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
      rr = rrNew;
      it++;
    }
    return new Solution(x, it, Math.sqrt(rr) / bb);
  }

  /**
   * LiSSA: x ≈ G⁻¹b by the recursion x₀ = b/s, x_{j+1} = b/s + (I − G/s) x_j, whose fixed point is
   * G⁻¹b when the eigenvalues of G/s lie in (0, 2); s (the scale) must exceed λ_max(G)/2. Stops when
   * successive iterates differ by ≤ tol relative, or after maxIter.
   */
  public static Solution lissa(LinearOperator g, double[] b, double scale, double tol, int maxIter) {
    int n = b.length;
    double[] x = new double[n];
    for (int i = 0; i < n; i++) x[i] = b[i] / scale;
    int it = 0;
    double change = Double.POSITIVE_INFINITY;
    while (it < maxIter && change > tol) {
      double[] gx = g.apply(x);
      double diff = 0, norm = 0;
      for (int i = 0; i < n; i++) {
        double next = b[i] / scale + x[i] - gx[i] / scale;
        if (!Double.isFinite(next)) throw new ArithmeticException("LiSSA diverged at iteration " + it + ": the scale " + scale + " is below half the largest eigenvalue");
        diff = Math.max(diff, Math.abs(next - x[i]));
        norm = Math.max(norm, Math.abs(next));
        x[i] = next;
      }
      change = norm == 0 ? 0 : diff / norm;
      it++;
    }
    double[] res = g.apply(x);
    double rn = 0, bn = 0;
    for (int i = 0; i < n; i++) {
      rn += (b[i] - res[i]) * (b[i] - res[i]);
      bn += b[i] * b[i];
    }
    return new Solution(x, it, bn == 0 ? 0 : Math.sqrt(rn / bn));
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
