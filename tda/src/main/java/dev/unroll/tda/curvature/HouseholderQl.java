package dev.unroll.tda.curvature;

import dev.unroll.autodiff.LaneSums;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The symmetric eigendecomposition G = V diag(λ) Vᵀ in float64 by the textbook two-phase method
 * (Golub &amp; Van Loan, §8.3): Householder reduction to a tridiagonal T = Hᵀ G H, H = H₀ H₁ ⋯ H_{n−3}
 * with Hₖ = I − βₖ vₖ vₖᵀ, then the implicit QL method with Wilkinson shifts on T, every plane rotation
 * of which is accumulated into V = H Z.
 *
 * <p>The arithmetic is that of the classic EISPACK-style routines; what differs is the layout, chosen
 * for the Vector API: the basis is kept transposed (row j of {@code e} is column j of V), so that
 * the reflections and the QL rotations combine whole contiguous rows, and the rotations of one QL
 * sweep are computed first (they depend on d and e only) and then applied in one pass over the rows,
 * each row loaded and stored once per sweep instead of twice per rotation. The results equal those
 * of any other backward-stable solver to rounding; eigenvectors may differ in sign and, within
 * eigenvalues that coincide, by a rotation of their eigenspace.
 */
final class HouseholderQl {
  private HouseholderQl() {}

  private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;

  /** QL iterations allowed per eigenvalue before giving up (EISPACK's limit). */
  private static final int MAX_ITERATIONS = 30;

  /**
   * Decomposes symmetric {@code g} (n × n, not modified; only its lower triangle by symmetry is
   * assumed, the full matrix is read).
   *
   * @param values out: λ, length n, unsorted
   * @param q out: n × n, q[i][j] = entry i of the eigenvector of values[j]
   * @return false when the QL iteration did not converge (the outputs are then meaningless)
   */
  static boolean decompose(double[][] g, double[] values, double[][] q) {
    int n = g.length;
    double[] a = new double[n * n];
    for (int i = 0; i < n; i++) System.arraycopy(g[i], 0, a, i * n, n);
    double[] d = new double[n], e = new double[n], beta = new double[n];
    tridiagonalise(a, n, d, e, beta);
    double[] basis = reflectorsTransposed(a, n, beta);
    if (!ql(d, e, basis, n)) return false;
    int ld = stride(n);
    for (int j = 0; j < n; j++) {
      values[j] = d[j];
      for (int i = 0; i < n; i++) q[i][j] = basis[j * ld + i];
    }
    return true;
  }

  /**
   * Householder reduction of a (row-major, symmetric, overwritten): for k = 0 … n−3 the reflector
   * Hₖ maps column k below the diagonal, x, to αe₁ with α = −sign(x₀)‖x‖ (no cancellation in
   * v₀ = x₀ − α), and the trailing block becomes Hₖ A₂₂ Hₖ = A₂₂ − v wᵀ − w vᵀ with p = βA₂₂v,
   * w = p − (β vᵀp / 2) v. The diagonal goes to d, the subdiagonal to e (e[i] couples i and i+1),
   * vₖ to row k of a after the diagonal, βₖ to beta (0 where x is already a multiple of e₁).
   */
  static void tridiagonalise(double[] a, int n, double[] d, double[] e, double[] beta) {
    double[] p = new double[n];
    for (int k = 0; k < n - 2; k++) {
      int off = k + 1, m = n - off, vrow = k * n + off;
      double x0 = a[vrow], sigma = 0;
      for (int i = 1; i < m; i++) sigma += a[vrow + i] * a[vrow + i];
      d[k] = a[k * n + k];
      if (sigma == 0) {
        e[k] = x0;
        beta[k] = 0;
        continue;
      }
      double alpha = -Math.copySign(Math.sqrt(x0 * x0 + sigma), x0);
      double v0 = x0 - alpha;
      a[vrow] = v0;
      double b = 2 / (v0 * v0 + sigma);
      double vp = 0;
      for (int i = 0; i < m; i++) {
        p[i] = b * dot(a, (off + i) * n + off, a, vrow, m);
        vp += a[vrow + i] * p[i];
      }
      double half = 0.5 * b * vp;
      for (int i = 0; i < m; i++) p[i] -= half * a[vrow + i];
      for (int i = 0; i < m; i++) rankTwo(a, (off + i) * n + off, a[vrow + i], p, a, vrow, p[i], m);
      e[k] = alpha;
      beta[k] = b;
    }
    if (n >= 2) {
      d[n - 2] = a[(n - 2) * n + n - 2];
      e[n - 2] = a[(n - 1) * n + n - 2];
    }
    d[n - 1] = a[(n - 1) * n + n - 1];
    e[n - 1] = 0;
  }

  /**
   * Hᵀ = H_{n−3} ⋯ H₀ (row-major, row stride {@link #stride}, padding columns zero), built as I·H_{n−3}·…·H₀: multiplying by Hₖ on the right changes
   * only the columns from k+1 on, and only rows from k+1 on are non-zero there.
   */
  static double[] reflectorsTransposed(double[] a, int n, double[] beta) {
    int ld = stride(n);
    double[] x = new double[n * ld];
    for (int i = 0; i < n; i++) x[i * ld + i] = 1;
    for (int k = n - 3; k >= 0; k--) {
      if (beta[k] == 0) continue;
      int off = k + 1, m = n - off, vrow = k * n + off;
      for (int i = off; i < n; i++) {
        double s = beta[k] * dot(x, i * ld + off, a, vrow, m);
        axpy(-s, a, vrow, x, i * ld + off, m);
      }
    }
    return x;
  }

  /** The row stride of the basis: n rounded up to a multiple of the vector length, so rotations need no scalar tail. */
  static int stride(int n) {
    return S.loopBound(n + S.length() - 1);
  }

  /**
   * The implicit QL method on the tridiagonal (d, e), accumulating rotations into the rows of
   * {@code basis}; on return d holds the eigenvalues and row j of basis the eigenvector of d[j].
   * An off-diagonal e[m] counts as zero once |e[m]| ≤ ε·max_l(|d[l]| + |e[l]|).
   */
  static boolean ql(double[] d, double[] e, double[] basis, int n) {
    int ld = stride(n);
    double[] cs = new double[n], sn = new double[n];
    double eps = Math.ulp(1.0), scale = 0;
    for (int l = 0; l < n; l++) {
      scale = Math.max(scale, Math.abs(d[l]) + Math.abs(e[l]));
      int iterations = 0;
      while (true) {
        int m = l;
        while (m < n - 1 && Math.abs(e[m]) > eps * scale) m++;
        if (m == l) break;
        if (++iterations > MAX_ITERATIONS) return false;
        // Wilkinson shift from the leading 2 × 2 block, in the form that avoids overflow.
        double gg = (d[l + 1] - d[l]) / (2 * e[l]);
        double r = hypot(gg, 1);
        gg = d[m] - d[l] + e[l] / (gg + Math.copySign(r, gg));
        double s = 1, c = 1, p = 0;
        int i = m - 1;
        boolean underflow = false;
        for (; i >= l; i--) {
          double f = s * e[i], b = c * e[i];
          r = hypot(f, gg);
          e[i + 1] = r;
          if (r == 0) {
            // The rotation would divide by zero: the matrix has split here; recover and restart.
            d[i + 1] -= p;
            e[m] = 0;
            underflow = true;
            break;
          }
          s = f / r;
          c = gg / r;
          gg = d[i + 1] - p;
          r = (d[i] - gg) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = gg + p;
          gg = c * r - b;
          cs[i] = c;
          sn[i] = s;
        }
        rotateRows(basis, ld, cs, sn, i + 1, m);
        if (underflow) continue;
        d[l] -= p;
        e[l] = gg;
        e[m] = 0;
      }
    }
    return true;
  }

  /**
   * Applies the rotations i = hi−1 down to lo to rows (i, i+1) of {@code basis} (row stride ld, a
   * multiple of the vector length): row_{i+1} ← s_i row_i + c_i row_{i+1},
   * row_i ← c_i row_i − s_i row_{i+1}, the running row kept in registers between rotations.
   */
  static void rotateRows(double[] basis, int ld, double[] cs, double[] sn, int lo, int hi) {
    if (hi <= lo) return;
    int l = S.length(), j = 0;
    // Four column chunks at a time: the running row is a chain of dependent FMAs through every
    // rotation, and four independent chains cover the FMA latency.
    for (; j + 4 * l <= ld; j += 4 * l) {
      DoubleVector c0 = DoubleVector.fromArray(S, basis, hi * ld + j), c1 = DoubleVector.fromArray(S, basis, hi * ld + j + l);
      DoubleVector c2 = DoubleVector.fromArray(S, basis, hi * ld + j + 2 * l), c3 = DoubleVector.fromArray(S, basis, hi * ld + j + 3 * l);
      for (int i = hi - 1; i >= lo; i--) {
        DoubleVector c = DoubleVector.broadcast(S, cs[i]), s = DoubleVector.broadcast(S, sn[i]), ns = DoubleVector.broadcast(S, -sn[i]);
        int row = i * ld + j, next = row + ld;
        DoubleVector x0 = DoubleVector.fromArray(S, basis, row), x1 = DoubleVector.fromArray(S, basis, row + l);
        DoubleVector x2 = DoubleVector.fromArray(S, basis, row + 2 * l), x3 = DoubleVector.fromArray(S, basis, row + 3 * l);
        c0.fma(c, x0.mul(s)).intoArray(basis, next);
        c1.fma(c, x1.mul(s)).intoArray(basis, next + l);
        c2.fma(c, x2.mul(s)).intoArray(basis, next + 2 * l);
        c3.fma(c, x3.mul(s)).intoArray(basis, next + 3 * l);
        c0 = c0.fma(ns, x0.mul(c));
        c1 = c1.fma(ns, x1.mul(c));
        c2 = c2.fma(ns, x2.mul(c));
        c3 = c3.fma(ns, x3.mul(c));
      }
      c0.intoArray(basis, lo * ld + j);
      c1.intoArray(basis, lo * ld + j + l);
      c2.intoArray(basis, lo * ld + j + 2 * l);
      c3.intoArray(basis, lo * ld + j + 3 * l);
    }
    for (; j < ld; j += l) {
      DoubleVector carry = DoubleVector.fromArray(S, basis, hi * ld + j);
      for (int i = hi - 1; i >= lo; i--) {
        DoubleVector c = DoubleVector.broadcast(S, cs[i]), s = DoubleVector.broadcast(S, sn[i]);
        DoubleVector x = DoubleVector.fromArray(S, basis, i * ld + j);
        carry.fma(c, x.mul(s)).intoArray(basis, (i + 1) * ld + j);
        carry = carry.fma(DoubleVector.broadcast(S, -sn[i]), x.mul(c));
      }
      carry.intoArray(basis, lo * ld + j);
    }
  }

  /**
   * √(x² + y²): directly where the squares can neither overflow nor lose everything to underflow,
   * else by {@link Math#hypot} (exact to an ulp, but ten times slower, and called once per rotation).
   */
  static double hypot(double x, double y) {
    double h = x * x + y * y;
    return h > 1e-290 && h < 1e290 ? Math.sqrt(h) : Math.hypot(x, y);
  }

  /** Σ_t x[xo + t]·y[yo + t] for t &lt; len. */
  static double dot(double[] x, int xo, double[] y, int yo, int len) {
    int l = S.length(), bound = S.loopBound(len), t = 0;
    // Two accumulators: one would make every FMA wait for the previous one.
    DoubleVector acc0 = DoubleVector.zero(S), acc1 = DoubleVector.zero(S);
    for (; t + l < bound; t += 2 * l) {
      acc0 = DoubleVector.fromArray(S, x, xo + t).fma(DoubleVector.fromArray(S, y, yo + t), acc0);
      acc1 = DoubleVector.fromArray(S, x, xo + t + l).fma(DoubleVector.fromArray(S, y, yo + t + l), acc1);
    }
    for (; t < bound; t += l) acc0 = DoubleVector.fromArray(S, x, xo + t).fma(DoubleVector.fromArray(S, y, yo + t), acc0);
    double s = LaneSums.sum(acc0.add(acc1));
    for (; t < len; t++) s += x[xo + t] * y[yo + t];
    return s;
  }

  /** y[yo + t] += alpha·x[xo + t] for t &lt; len. */
  static void axpy(double alpha, double[] x, int xo, double[] y, int yo, int len) {
    int l = S.length(), bound = S.loopBound(len), t = 0;
    DoubleVector va = DoubleVector.broadcast(S, alpha);
    for (; t < bound; t += l) DoubleVector.fromArray(S, x, xo + t).fma(va, DoubleVector.fromArray(S, y, yo + t)).intoArray(y, yo + t);
    for (; t < len; t++) y[yo + t] += alpha * x[xo + t];
  }

  /** row[ro + t] −= vi·w[t] + wi·v[vo + t] for t &lt; len: one row of A₂₂ − v wᵀ − w vᵀ. */
  private static void rankTwo(double[] row, int ro, double vi, double[] w, double[] v, int vo, double wi, int len) {
    int l = S.length(), bound = S.loopBound(len), t = 0;
    DoubleVector nvi = DoubleVector.broadcast(S, -vi), nwi = DoubleVector.broadcast(S, -wi);
    for (; t < bound; t += l) {
      DoubleVector r = DoubleVector.fromArray(S, row, ro + t);
      r = DoubleVector.fromArray(S, w, t).fma(nvi, r);
      r = DoubleVector.fromArray(S, v, vo + t).fma(nwi, r);
      r.intoArray(row, ro + t);
    }
    for (; t < len; t++) row[ro + t] -= vi * w[t] + wi * v[vo + t];
  }
}
