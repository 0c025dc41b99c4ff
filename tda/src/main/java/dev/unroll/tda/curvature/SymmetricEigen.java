package dev.unroll.tda.curvature;

/**
 * A symmetric eigendecomposition G = Q diag(λ) Qᵀ in float64, with Q orthogonal (columns are the
 * eigenvectors), and the application of a spectral function to vectors: φ(G)v = Q φ(λ) Qᵀv.
 *
 * @param values the eigenvalues λ, ascending
 * @param q Q row-major, n × n: q[i][j] is entry i of eigenvector j
 */
public record SymmetricEigen(double[] values, double[][] q) {
  /**
   * Decomposes (G + Gᵀ)/2; the symmetrisation removes rounding asymmetry of accumulated factors.
   * Rows that are exactly zero (inputs that never vary, such as blank pixels of a small image
   * sample) are split off first: each is an eigenvector e_i with eigenvalue 0, and the rest is
   * decomposed on its own ({@link HouseholderQl}: Householder tridiagonalisation, then implicit QL),
   * as QL can fail to converge on a matrix with hundreds of such rows. Where QL still fails, the
   * cyclic Jacobi method is used.
   */
  public static SymmetricEigen of(double[][] g) {
    return of(g, false);
  }

  /** As {@link #of(double[][])}; {@code jacobi} forces the Jacobi method (for tests of the fallback). */
  static SymmetricEigen of(double[][] g, boolean jacobi) {
    int n = g.length;
    double[][] s = new double[n][n];
    for (int i = 0; i < n; i++) {
      if (g[i].length != n) throw new IllegalArgumentException("eigendecomposition needs a square matrix, row " + i + " has " + g[i].length + " entries, expected " + n);
    }
    int[] live = new int[n];
    int m = 0;
    for (int i = 0; i < n; i++) {
      boolean zero = true;
      for (int j = 0; j < n; j++) {
        s[i][j] = 0.5 * (g[i][j] + g[j][i]);
        if (!Double.isFinite(s[i][j])) throw new IllegalArgumentException("eigendecomposition of a matrix with a non-finite entry at (" + i + ", " + j + ")");
        zero &= s[i][j] == 0;
      }
      if (!zero) live[m++] = i;
    }
    double[][] r = new double[m][m];
    for (int i = 0; i < m; i++) for (int j = 0; j < m; j++) r[i][j] = s[live[i]][live[j]];
    double[] rv = new double[m];
    double[][] rq = new double[m][m];
    if (jacobi || m == 0 || !HouseholderQl.decompose(r, rv, rq)) JacobiEigen.decompose(r, rv, rq);
    // All n eigenpairs: the live block's, embedded at the live rows, and (0, e_i) for each zero row.
    double[] vals = new double[n];
    double[][] vecs = new double[n][n];
    boolean[] isLive = new boolean[n];
    for (int i = 0; i < m; i++) isLive[live[i]] = true;
    for (int j = 0; j < m; j++) {
      vals[j] = rv[j];
      for (int i = 0; i < m; i++) vecs[live[i]][j] = rq[i][j];
    }
    for (int i = 0, j = m; i < n; i++) {
      if (isLive[i]) continue;
      vecs[i][j++] = 1;
    }
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) order[i] = i;
    java.util.Arrays.sort(order, (a, b) -> Double.compare(vals[a], vals[b]));
    double[] sorted = new double[n];
    double[][] q = new double[n][n];
    for (int j = 0; j < n; j++) {
      sorted[j] = vals[order[j]];
      for (int i = 0; i < n; i++) q[i][j] = vecs[i][order[j]];
    }
    return new SymmetricEigen(sorted, q);
  }

  public int size() {
    return values.length;
  }

  /** Qᵀv: the coordinates of v in the eigenbasis. */
  public double[] toEigenbasis(double[] v) {
    int n = size();
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double vi = v[i];
      double[] row = q[i];
      for (int j = 0; j < n; j++) out[j] += row[j] * vi;
    }
    return out;
  }

  /** Qc: back from eigen-coordinates. */
  public double[] fromEigenbasis(double[] c) {
    int n = size();
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      double[] row = q[i];
      for (int j = 0; j < n; j++) s += row[j] * c[j];
      out[i] = s;
    }
    return out;
  }

  /** φ(G)v = Q φ(λ) Qᵀ v. */
  public double[] apply(SpectralFunction phi, double[] v) {
    double[] c = toEigenbasis(v);
    for (int j = 0; j < c.length; j++) c[j] *= phi.at(values[j]);
    return fromEigenbasis(c);
  }

  public double meanEigenvalue() {
    double s = 0;
    for (double x : values) s += x;
    return s / values.length;
  }
}
