package dev.unroll.tda.curvature;

/**
 * Inverse-curvature-vector products from operator actions alone: conjugate gradient (for G
 * symmetric positive definite, e.g. damped Gauss-Newton) and LiSSA (Agarwal et al. 2017; a
 * truncated Neumann series of the scaled operator).
 */
public final class IterativeSolvers {
  private IterativeSolvers() {}

  /**
   * The result and how it was reached: {@code converged} is false when the solver stopped at its
   * iteration limit before meeting its tolerance.
   */
  public record Solution(double[] x, int iterations, double relativeResidual, boolean converged) {}

  /**
   * Solves Gx = b by conjugate gradient until ‖b − Gx‖ ≤ tol·‖b‖ or maxIter iterations.
   * Throws when G shows a non-positive curvature direction (pᵀGp ≤ 0), which makes CG meaningless;
   * add damping.
   */
  public static Solution conjugateGradient(LinearOperator g, double[] b, double tol, int maxIter) {
    return conjugateGradient(g, new double[][] {b}, tol, maxIter)[0];
  }

  /**
   * {@link #conjugateGradient(LinearOperator, double[], double, int)} for every right-hand side bₖ
   * at once: the recurrences run in lockstep, each with its own step sizes and stopping test, and
   * each iteration applies G to the search directions of those not yet stopped in one
   * {@link LinearOperator#applyAll} call. Each solution is the one the single-vector solver gives,
   * up to the rounding of {@code applyAll} against {@code apply}.
   */
  public static Solution[] conjugateGradient(LinearOperator g, double[][] bs, double tol, int maxIter) {
    checkLimits("conjugate gradient", tol, maxIter);
    int m = bs.length;
    double[][] x = new double[m][], r = new double[m][], p = new double[m][];
    double[] rr = new double[m], bb = new double[m];
    int[] it = new int[m];
    for (int k = 0; k < m; k++) {
      x[k] = new double[bs[k].length];
      r[k] = bs[k].clone();
      p[k] = bs[k].clone();
      rr[k] = dot(r[k], r[k]);
      bb[k] = Math.sqrt(rr[k]);
    }
    while (true) {
      int[] active = select(m, k -> bb[k] > 0 && it[k] < maxIter && Math.sqrt(rr[k]) > tol * bb[k]);
      if (active.length == 0) break;
      double[][] gps = g.applyAll(rows(p, active));
      for (int a = 0; a < active.length; a++) {
        int k = active[a];
        double[] gp = gps[a], xk = x[k], rk = r[k], pk = p[k];
        double pgp = dot(pk, gp);
        if (!(pgp > 0)) throw new ArithmeticException("conjugate gradient: curvature p^T G p = " + pgp + " <= 0 at iteration " + it[k] + (m > 1 ? " of right-hand side " + k : "") + "; the operator is not positive definite, add damping");
        double alpha = rr[k] / pgp;
        for (int i = 0; i < xk.length; i++) {
          xk[i] += alpha * pk[i];
          rk[i] -= alpha * gp[i];
        }
        double rrNew = dot(rk, rk);
        double beta = rrNew / rr[k];
        for (int i = 0; i < pk.length; i++) pk[i] = rk[i] + beta * pk[i];
        rr[k] = rrNew;
        it[k]++;
      }
    }
    Solution[] out = new Solution[m];
    for (int k = 0; k < m; k++) {
      out[k] = bb[k] == 0 ? new Solution(x[k], 0, 0, true) : new Solution(x[k], it[k], Math.sqrt(rr[k]) / bb[k], Math.sqrt(rr[k]) <= tol * bb[k]);
    }
    return out;
  }

  /**
   * LiSSA: x ≈ G⁻¹b by the recursion x₀ = b/s, x_{j+1} = b/s + (I − G/s) x_j, whose fixed point is
   * G⁻¹b when the eigenvalues of G/s lie in (0, 2); s (the scale) must exceed λ_max(G)/2. Stops when
   * successive iterates differ by ≤ tol relative, or after maxIter.
   */
  public static Solution lissa(LinearOperator g, double[] b, double scale, double tol, int maxIter) {
    return lissa(g, new double[][] {b}, scale, tol, maxIter)[0];
  }

  /**
   * {@link #lissa(LinearOperator, double[], double, double, int)} for every right-hand side bₖ at
   * once, in lockstep, each with its own stopping test; each iteration applies G to the iterates not
   * yet stopped in one {@link LinearOperator#applyAll} call.
   */
  public static Solution[] lissa(LinearOperator g, double[][] bs, double scale, double tol, int maxIter) {
    checkLissa("LiSSA", scale, tol, maxIter);
    int m = bs.length;
    double[][] x = new double[m][];
    double[] change = new double[m];
    int[] it = new int[m];
    for (int k = 0; k < m; k++) {
      x[k] = new double[bs[k].length];
      for (int i = 0; i < x[k].length; i++) x[k][i] = bs[k][i] / scale;
      change[k] = Double.POSITIVE_INFINITY;
    }
    while (true) {
      int[] active = select(m, k -> it[k] < maxIter && change[k] > tol);
      if (active.length == 0) break;
      double[][] gxs = g.applyAll(rows(x, active));
      for (int a = 0; a < active.length; a++) {
        int k = active[a];
        double[] gx = gxs[a], xk = x[k], b = bs[k];
        double diff = 0, norm = 0;
        for (int i = 0; i < xk.length; i++) {
          double next = b[i] / scale + xk[i] - gx[i] / scale;
          if (!Double.isFinite(next)) throw new ArithmeticException("LiSSA diverged at iteration " + it[k] + (m > 1 ? " of right-hand side " + k : "") + ": the scale " + scale + " is below half the largest eigenvalue");
          diff = Math.max(diff, Math.abs(next - xk[i]));
          norm = Math.max(norm, Math.abs(next));
          xk[i] = next;
        }
        change[k] = norm == 0 ? 0 : diff / norm;
        it[k]++;
      }
    }
    double[][] res = g.applyAll(x);
    Solution[] out = new Solution[m];
    for (int k = 0; k < m; k++) {
      double rn = 0, bn = 0;
      for (int i = 0; i < x[k].length; i++) {
        rn += (bs[k][i] - res[k][i]) * (bs[k][i] - res[k][i]);
        bn += bs[k][i] * bs[k][i];
      }
      out[k] = new Solution(x[k], it[k], bn == 0 ? 0 : Math.sqrt(rn / bn), change[k] <= tol);
    }
    return out;
  }

  private static int[] select(int m, java.util.function.IntPredicate keep) {
    return java.util.stream.IntStream.range(0, m).filter(keep).toArray();
  }

  private static double[][] rows(double[][] all, int[] which) {
    if (which.length == all.length) return all;
    double[][] out = new double[which.length][];
    for (int a = 0; a < which.length; a++) out[a] = all[which[a]];
    return out;
  }

  /** {@link #checkLimits} for LiSSA, and refuses a scale that is not positive and finite. */
  public static void checkLissa(String solver, double scale, double tol, int maxIter) {
    checkLimits(solver, tol, maxIter);
    if (!(scale > 0) || Double.isInfinite(scale)) throw new IllegalArgumentException(solver + ": the scale must be positive and finite, got " + scale);
  }

  /** Refuses a negative or non-finite tolerance and an iteration limit below one, naming {@code solver}. */
  public static void checkLimits(String solver, double tol, int maxIter) {
    if (!(tol >= 0) || Double.isInfinite(tol)) throw new IllegalArgumentException(solver + ": the tolerance must be finite and non-negative, got " + tol);
    if (maxIter < 1) throw new IllegalArgumentException(solver + ": the iteration limit must be at least 1, got " + maxIter);
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
