package dev.unroll.tda.curvature;

/**
 * The cyclic Jacobi eigenvalue method for a symmetric matrix: repeated plane rotations
 * G ← JᵀGJ, each zeroing one off-diagonal entry, until the off-diagonal mass is below
 * ε·‖G‖_F; the accumulated product of rotations is Q and the diagonal is λ. Slower than the
 * tridiagonal QL method (a sweep costs ≈ 4n³), but it always converges (quadratically, once the
 * off-diagonal entries are small), which makes it the fallback where QL gives up.
 */
final class JacobiEigen {
  private JacobiEigen() {}

  /**
   * Decomposes symmetric {@code a} (n × n, not modified).
   *
   * @param values out: λ, length n, in diagonal order (unsorted)
   * @param q out: n × n, q[i][j] = entry i of eigenvector j
   */
  static void decompose(double[][] a, double[] values, double[][] q) {
    int n = a.length;
    double[][] g = new double[n][];
    double norm = 0;
    for (int i = 0; i < n; i++) {
      g[i] = a[i].clone();
      java.util.Arrays.fill(q[i], 0);
      q[i][i] = 1;
      for (double v : g[i]) norm += v * v;
    }
    double tol = 1e-30 * norm;
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0;
      for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) off += g[i][j] * g[i][j];
      if (off <= tol) break;
      for (int p = 0; p < n; p++) {
        for (int r = p + 1; r < n; r++) {
          double apr = g[p][r];
          if (apr == 0) continue;
          // The rotation angle θ with tan 2θ = 2a_pr / (a_rr − a_pp); t = tan θ, the smaller root for stability.
          double theta = (g[r][r] - g[p][p]) / (2 * apr);
          double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) t = 1;
          double c = 1 / Math.sqrt(t * t + 1), s = t * c;
          for (int k = 0; k < n; k++) {
            double gkp = g[k][p], gkr = g[k][r];
            g[k][p] = c * gkp - s * gkr;
            g[k][r] = s * gkp + c * gkr;
          }
          for (int k = 0; k < n; k++) {
            double gpk = g[p][k], grk = g[r][k];
            g[p][k] = c * gpk - s * grk;
            g[r][k] = s * gpk + c * grk;
          }
          for (int k = 0; k < n; k++) {
            double qkp = q[k][p], qkr = q[k][r];
            q[k][p] = c * qkp - s * qkr;
            q[k][r] = s * qkp + c * qkr;
          }
        }
      }
    }
    for (int i = 0; i < n; i++) values[i] = g[i][i];
  }
}
