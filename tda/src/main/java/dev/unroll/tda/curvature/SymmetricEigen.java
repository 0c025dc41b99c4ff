package dev.unroll.tda.curvature;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.RealMatrix;

/**
 * A symmetric eigendecomposition G = Q diag(λ) Qᵀ in float64, with Q orthogonal (columns are the
 * eigenvectors), and the application of a spectral function to vectors: φ(G)v = Q φ(λ) Qᵀv.
 *
 * @param values the eigenvalues λ, ascending
 * @param q Q row-major, n × n: q[i][j] is entry i of eigenvector j
 */
public record SymmetricEigen(double[] values, double[][] q) {
  /** Decomposes (G + Gᵀ)/2; the symmetrisation removes rounding asymmetry of accumulated factors. */
  public static SymmetricEigen of(double[][] g) {
    int n = g.length;
    double[][] s = new double[n][n];
    for (int i = 0; i < n; i++) {
      if (g[i].length != n) throw new IllegalArgumentException("eigendecomposition needs a square matrix, row " + i + " has " + g[i].length + " entries, expected " + n);
      for (int j = 0; j < n; j++) s[i][j] = 0.5 * (g[i][j] + g[j][i]);
    }
    EigenDecomposition ed = new EigenDecomposition(new Array2DRowRealMatrix(s, false));
    double[] vals = ed.getRealEigenvalues();
    RealMatrix v = ed.getV();
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) order[i] = i;
    java.util.Arrays.sort(order, (a, b) -> Double.compare(vals[a], vals[b]));
    double[] sorted = new double[n];
    double[][] q = new double[n][n];
    for (int j = 0; j < n; j++) {
      sorted[j] = vals[order[j]];
      for (int i = 0; i < n; i++) q[i][j] = v.getEntry(i, order[j]);
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
