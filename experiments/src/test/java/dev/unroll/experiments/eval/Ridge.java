package dev.unroll.experiments.eval;

import dev.unroll.autodiff.Rng;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.RealVector;

/**
 * A tiny ridge regression whose retraining is exact: θ(S) = argmin Σ_{i∈S} ½(x_iᵀθ − y_i)² + ½λ‖θ‖²
 * = (X_SᵀX_S + λI)⁻¹ X_Sᵀ y_S; the query measurement is the absolute error |x_qᵀθ − y_q|. The
 * closed forms below use only the full-data solution: removing a set S is one exact Newton step
 * (the objective is quadratic), θ(D∖S) = θ + (H − X_SᵀX_S)⁻¹ X_Sᵀ r_S with H = XᵀX + λI and
 * r = Xθ − y; for one point this is Sherman–Morrison, θ + H⁻¹x_m r_m / (1 − x_mᵀH⁻¹x_m).
 */
final class Ridge {
  final double[][] x, xq;
  final double[] y, yq;
  final double lambda;

  Ridge(int n, int q, int d, double lambda, long seed) {
    Rng r = new Rng(seed);
    double[] w = new double[d];
    for (int j = 0; j < d; j++) w[j] = r.normal();
    x = new double[n][d];
    y = new double[n];
    xq = new double[q][d];
    yq = new double[q];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) x[i][j] = r.normal();
      y[i] = dot(w, x[i]) + 0.5 * r.normal();
    }
    for (int i = 0; i < q; i++) {
      for (int j = 0; j < d; j++) xq[i][j] = r.normal();
      yq[i] = dot(w, xq[i]) + 0.5 * r.normal();
    }
    this.lambda = lambda;
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  /** Exact retraining on the mask (a direct solve). */
  double[] fit(boolean[] mask) {
    int d = x[0].length;
    RealMatrix a = new Array2DRowRealMatrix(d, d);
    RealVector b = new ArrayRealVector(d);
    for (int j = 0; j < d; j++) a.addToEntry(j, j, lambda);
    for (int i = 0; i < x.length; i++) {
      if (!mask[i]) continue;
      for (int j = 0; j < d; j++) {
        b.addToEntry(j, x[i][j] * y[i]);
        for (int k = 0; k < d; k++) a.addToEntry(j, k, x[i][j] * x[i][k]);
      }
    }
    return new LUDecomposition(a).getSolver().solve(b).toArray();
  }

  double[] measure(double[] theta) {
    double[] f = new double[xq.length];
    for (int q = 0; q < f.length; q++) f[q] = Math.abs(dot(xq[q], theta) - yq[q]);
    return f;
  }

  /** θ(D∖S) from the full solution by the exact Newton step. */
  double[] removeClosedForm(int[] removed) {
    boolean[] all = new boolean[x.length];
    java.util.Arrays.fill(all, true);
    double[] theta = fit(all);
    int d = theta.length;
    RealMatrix h = new Array2DRowRealMatrix(d, d);
    for (int j = 0; j < d; j++) h.addToEntry(j, j, lambda);
    for (double[] xi : x) for (int j = 0; j < d; j++) for (int k = 0; k < d; k++) h.addToEntry(j, k, xi[j] * xi[k]);
    RealVector g = new ArrayRealVector(d);
    for (int m : removed) {
      double res = dot(x[m], theta) - y[m];
      for (int j = 0; j < d; j++) {
        g.addToEntry(j, x[m][j] * res);
        for (int k = 0; k < d; k++) h.addToEntry(j, k, -x[m][j] * x[m][k]);
      }
    }
    RealVector step = new LUDecomposition(h).getSolver().solve(g);
    double[] out = theta.clone();
    for (int j = 0; j < d; j++) out[j] += step.getEntry(j);
    return out;
  }

  /** Exact leave-one-out change of every query's error, τ*[q][m] (the project's sign: positive = removal raises f). */
  double[][] exactLoo() {
    boolean[] all = new boolean[x.length];
    java.util.Arrays.fill(all, true);
    double[] f0 = measure(fit(all));
    double[][] t = new double[xq.length][x.length];
    for (int m = 0; m < x.length; m++) {
      double[] f = measure(removeClosedForm(new int[] {m}));
      for (int q = 0; q < xq.length; q++) t[q][m] = f[q] - f0[q];
    }
    return t;
  }
}
