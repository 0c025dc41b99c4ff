package dev.unroll.tda.source;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Module;
import dev.unroll.nn.ParameterVector;
import dev.unroll.nn.data.Dataset;
import java.util.ArrayList;
import java.util.List;

/**
 * Test oracles in plain float64 arrays over flat parameters in {@link ParameterVector} order,
 * computed by autodiff one example at a time and by explicit matrix algebra (matrix exponentials by
 * scaling and squaring of a Taylor series, no eigendecompositions), independent of the code under
 * test.
 */
final class Oracle {
  private Oracle() {}

  static double[] flat(Module model, List<Tensor> params) {
    return ParameterVector.of(model).flatten(params, DType.F64).toDoubleArray();
  }

  static List<Tensor> params(Module model, double[] theta) {
    ParameterVector pv = ParameterVector.of(model);
    List<Tensor> out = new ArrayList<>();
    try (var g = GradMode.off()) {
      for (Tensor t : pv.split(Tensor.of(theta, theta.length))) out.add(t.contiguous().to(DType.F64));
    }
    return out;
  }

  /** ∇²_θ (1/n)Σ L(zᵢ, θ) over the data. */
  static double[][] hessian(Module model, Loss loss, Dataset data, double[] theta) {
    ParameterVector pv = ParameterVector.of(model);
    Batch b = data.batch(all(data.size()));
    return Derivatives.hessian(t -> model.withParameters(pv.split(t), () -> loss.mean(model.forward(b.x()), b.y())), Tensor.of(theta, theta.length));
  }

  /** ∇_θ (1/n)Σ wᵢ L(zᵢ, θ) over the data (w null: all 1). */
  static double[] meanGradient(Module model, Loss loss, Dataset data, double[] theta, double[] w) {
    ParameterVector pv = ParameterVector.of(model);
    Batch b = data.batch(all(data.size()));
    Tensor t = Tensor.of(theta, theta.length).requiresGrad(true);
    Tensor v = model.withParameters(pv.split(t), () -> w == null ? loss.mean(model.forward(b.x()), b.y()) : loss.weightedMean(model.forward(b.x()), b.y(), w));
    return Derivatives.gradient(v, List.of(t)).get(0).toDoubleArray();
  }

  /**
   * Full-batch gradient descent θ_{k+1} = θ_k − η_k(∇J(θ_k) + λθ_k) on J = (1/n)Σ wᵢLᵢ; rows θ_0..θ_T.
   */
  static double[][] gradientDescent(Module model, Loss loss, Dataset data, double[] theta0, double[] lrs, double wd, double[] w) {
    double[][] out = new double[lrs.length + 1][];
    out[0] = theta0.clone();
    for (int k = 0; k < lrs.length; k++) {
      double[] th = out[k], g = meanGradient(model, loss, data, th, w);
      double[] nx = new double[th.length];
      for (int j = 0; j < th.length; j++) nx[j] = th[j] - lrs[k] * (g[j] + wd * th[j]);
      out[k + 1] = nx;
    }
    return out;
  }

  interface Objective {
    Tensor perExample(Tensor out, dev.unroll.nn.Targets y);
  }

  /** Row i = ∇_θ objective(zᵢ, θ), one example at a time. */
  static double[][] perExample(Module model, Objective f, Dataset data, double[] theta) {
    ParameterVector pv = ParameterVector.of(model);
    double[][] out = new double[data.size()][];
    for (int i = 0; i < data.size(); i++) {
      Batch b = data.batch(new int[] {i});
      Tensor t = Tensor.of(theta, theta.length).requiresGrad(true);
      Tensor v = model.withParameters(pv.split(t), () -> f.perExample(model.forward(b.x()), b.y()).sum());
      out[i] = Derivatives.gradient(v, List.of(t)).get(0).toDoubleArray();
    }
    return out;
  }

  static double[][] lossGradients(Module model, Loss loss, Dataset data, double[] theta) {
    return perExample(model, loss::perExample, data, theta);
  }

  static double[][] measurementGradients(Module model, Measurement m, Dataset data, double[] theta) {
    return perExample(model, m::perExample, data, theta);
  }

  static int[] all(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = i;
    return r;
  }

  // ------------------------------------------------------------------ matrices

  static double[][] identity(int n) {
    double[][] m = new double[n][n];
    for (int i = 0; i < n; i++) m[i][i] = 1;
    return m;
  }

  static double[][] mul(double[][] a, double[][] b) {
    int n = a.length, k = b.length, m = b[0].length;
    double[][] c = new double[n][m];
    for (int i = 0; i < n; i++) for (int l = 0; l < k; l++) {
      double x = a[i][l];
      if (x == 0) continue;
      for (int j = 0; j < m; j++) c[i][j] += x * b[l][j];
    }
    return c;
  }

  static double[] mul(double[][] a, double[] v) {
    double[] out = new double[a.length];
    for (int i = 0; i < a.length; i++) {
      double s = 0;
      for (int j = 0; j < v.length; j++) s += a[i][j] * v[j];
      out[i] = s;
    }
    return out;
  }

  static double[] mulT(double[][] a, double[] v) {
    return mul(transpose(a), v);
  }

  static double[][] transpose(double[][] a) {
    double[][] t = new double[a[0].length][a.length];
    for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) t[j][i] = a[i][j];
    return t;
  }

  static double[][] add(double[][] a, double[][] b, double s) {
    double[][] c = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      c[i] = a[i].clone();
      for (int j = 0; j < c[i].length; j++) c[i][j] += s * b[i][j];
    }
    return c;
  }

  static double[][] scale(double[][] a, double s) {
    return add(new double[a.length][a[0].length], a, s);
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  /** exp(A) by scaling and squaring with an 18-term Taylor series (‖A·2^{−s}‖₁ ≤ 1/4, so the remainder is below 1e-24). */
  static double[][] exp(double[][] a) {
    double norm = 0;
    for (double[] r : a) {
      double s = 0;
      for (double x : r) s += Math.abs(x);
      norm = Math.max(norm, s);
    }
    int sq = Math.max(0, (int) Math.ceil(Math.log(Math.max(norm, 1e-300) / 0.25) / Math.log(2)));
    double[][] x = scale(a, Math.pow(0.5, sq));
    int n = a.length;
    double[][] sum = identity(n), term = identity(n);
    for (int k = 1; k <= 18; k++) {
      term = scale(mul(term, x), 1.0 / k);
      sum = add(sum, term, 1);
    }
    for (int i = 0; i < sq; i++) sum = mul(sum, sum);
    return sum;
  }

  /**
   * For A = −c·M (M any square matrix): {E, R} with E = exp(−cM) and R = Σ_{j≥0} (−cM)^j c/(j+1)!
   * = ∫₀^c exp(−tM) dt (which is (I − exp(−cM))M⁻¹ when M is invertible), from the exponential of
   * the block matrix [[−cM, cI], [0, 0]], whose top-right block is R.
   */
  static double[][][] expAndGain(double[][] m, double c) {
    int n = m.length;
    double[][] big = new double[2 * n][2 * n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < n; j++) big[i][j] = -c * m[i][j];
      big[i][n + i] = c;
    }
    double[][] e = exp(big);
    double[][] ee = new double[n][n], r = new double[n][n];
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
      ee[i][j] = e[i][j];
      r[i][j] = e[i][n + j];
    }
    return new double[][][] {ee, r};
  }

  /** {(I − ηM)^K, η Σ_{j<K} (I − ηM)^j}. */
  static double[][][] powerAndGain(double[][] m, double eta, int k) {
    int n = m.length;
    double[][] step = add(identity(n), m, -eta);
    double[][] pow = identity(n), gain = new double[n][n];
    for (int j = 0; j < k; j++) {
      gain = add(gain, pow, eta);
      pow = mul(step, pow);
    }
    return new double[][][] {pow, gain};
  }

  /** max |a − b| / max |a|. */
  static double relErr(double[][] expected, double[][] actual) {
    double d = 0, s = 0;
    for (int i = 0; i < expected.length; i++) for (int j = 0; j < expected[i].length; j++) {
      d = Math.max(d, Math.abs(expected[i][j] - actual[i][j]));
      s = Math.max(s, Math.abs(expected[i][j]));
    }
    return d / s;
  }

  static double[][] scaled(double[][] v, double s) {
    return scale(v, s);
  }
}
