package dev.unroll.tda.methods;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Linear;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Fixtures;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

/**
 * Influence functions of linear models against closed forms written out here (plain Java and
 * commons-math, no autodiff) and against actual leave-one-out refits. The training objective is
 * J(θ) = (1/N)·Σᵢ Lᵢ(θ) + (λ/2)·‖θ‖² with θ = [W | b] (block order: row c of W then b_c); the ridge
 * term is the influence function's damping λ. Removing z_m is the ε = −1/N perturbation, so the
 * refit minimises (1/N)·Σ_{i≠m} Lᵢ + (λ/2)·‖θ‖², and the predicted change of f is τ/N
 * ({@link Scores#predictedEffects()}).
 */
class ClosedFormOracleTest {
  static final int N = 40, Q = 5, D = 4;
  static final double LAMBDA = 0.05;

  /** Rows x̄ = [x, 1]. */
  static double[][] homogeneous(Tensor x) {
    int n = x.dim(0), d = x.dim(1);
    double[] v = x.toDoubleArray();
    double[][] out = new double[n][d + 1];
    for (int i = 0; i < n; i++) {
      System.arraycopy(v, i * d, out[i], 0, d);
      out[i][d] = 1;
    }
    return out;
  }

  static double[] solve(double[][] a, double[] b) {
    return new LUDecomposition(new Array2DRowRealMatrix(a)).getSolver().solve(new ArrayRealVector(b)).toArray();
  }

  static AttributionTask task(Linear model, Loss loss, Measurement m, Tensor x, Targets y) {
    Dataset all = new Dataset("linear", x, y);
    return new AttributionTask(model, loss, m, all.subset(IntStream.range(0, N).toArray()), all.subset(IntStream.range(N, N + Q).toArray()));
  }

  static void assign(Linear model, double[] theta, int classes) {
    int d = model.in();
    double[] w = new double[classes * d], b = new double[classes];
    for (int c = 0; c < classes; c++) {
      System.arraycopy(theta, c * (d + 1), w, c * d, d);
      b[c] = theta[c * (d + 1) + d];
    }
    model.weight().assign(Tensor.of(w, classes, d));
    model.bias().assign(Tensor.of(b, classes));
  }

  static double meanSpearman(double[][] predicted, double[][] actual) {
    double s = 0;
    for (int q = 0; q < predicted.length; q++) s += Fixtures.spearman(predicted[q], actual[q]) / predicted.length;
    return s;
  }

  // ------------------------------------------------------------------ ridge regression

  /** argmin (1/N)·Σ_{i∈keep} (θᵀx̄ᵢ − yᵢ)² + (λ/2)‖θ‖²: (2/N·X̄ᵀX̄ + λI)θ = 2/N·X̄ᵀy. */
  static double[] ridge(double[][] xb, double[] y, int skip) {
    int p = xb[0].length;
    double[][] a = new double[p][p];
    double[] rhs = new double[p];
    for (int i = 0; i < N; i++) {
      if (i == skip) continue;
      for (int j = 0; j < p; j++) {
        rhs[j] += 2.0 / N * xb[i][j] * y[i];
        for (int k = 0; k < p; k++) a[j][k] += 2.0 / N * xb[i][j] * xb[i][k];
      }
    }
    for (int j = 0; j < p; j++) a[j][j] += LAMBDA;
    return solve(a, rhs);
  }

  static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  @Test
  void ridgeRegressionMatchesTheAnalyticFormulaAndLeaveOneOutRefits() {
    Rng r = new Rng(41);
    Tensor x = Tensor.randn(r, DType.F64, N + Q, D);
    double[][] xb = homogeneous(x);
    double[] y = new double[N + Q], wTrue = {1, -2, 0.5, 0.3, 0.7};
    for (int i = 0; i < N + Q; i++) y[i] = dot(wTrue, xb[i]) + 0.5 * r.normal();
    Linear model = new Linear(D, 1, DType.F64, r);
    AttributionTask t = task(model, new MseLoss(), Measurement.absoluteError(), x, new Targets.Regression(Tensor.of(y, N + Q, 1)));
    double[] theta = ridge(xb, y, -1);
    assign(model, theta, 1);
    List<Tensor> params = Fixtures.values(model);

    // Analytic: τ(q, m) = sign(r_q)·x̄_qᵀ (H + λI)⁻¹ 2·r_m·x̄_m with H = (2/N)·X̄ᵀX̄.
    int p = D + 1;
    double[][] hl = new double[p][p];
    for (int i = 0; i < N; i++) for (int j = 0; j < p; j++) for (int k = 0; k < p; k++) hl[j][k] += 2.0 / N * xb[i][j] * xb[i][k];
    for (int j = 0; j < p; j++) hl[j][j] += LAMBDA;
    double[][] analytic = new double[Q][N];
    for (int q = 0; q < Q; q++) {
      double[] u = solve(hl, xb[N + q]);
      double sq = Math.signum(dot(theta, xb[N + q]) - y[N + q]);
      for (int m = 0; m < N; m++) analytic[q][m] = sq * 2 * (dot(theta, xb[m]) - y[m]) * dot(u, xb[m]);
    }

    ScoreOptions so = ScoreOptions.defaults().withTrainBatchSize(16);
    FitOptions fit = FitOptions.of(FisherType.EXPECTED).withBatchSize(16);
    Damping damping = Damping.of(LAMBDA);
    List<Scores> methods = List.of(
        InfluenceFunctions.explicitHessian(t, params, fit, damping, so),
        InfluenceFunctions.explicitFisher(t, params, fit, damping, so),
        InfluenceFunctions.conjugateGradient(t, params, InfluenceFunctions.Operator.HESSIAN, fit, damping, 1e-13, 100, so),
        // One linear layer with one output: the Gauss-Newton matrix is exactly A ⊗ S, so K-FAC and EK-FAC are exact too.
        InfluenceFunctions.kfac(t, params, fit, damping, so),
        InfluenceFunctions.ekfac(t, params, fit, damping, so));
    for (Scores s : methods) {
      double err = Fixtures.relativeError(analytic, s.values());
      assertTrue(err < 1e-10, s.method() + " vs the analytic ridge influence: relative error " + err);
    }

    double[][] actual = new double[Q][N];
    for (int m = 0; m < N; m++) {
      double[] th = ridge(xb, y, m);
      for (int q = 0; q < Q; q++) actual[q][m] = Math.abs(dot(th, xb[N + q]) - y[N + q]) - Math.abs(dot(theta, xb[N + q]) - y[N + q]);
    }
    double[][] predicted = methods.get(0).predictedEffects();
    double rho = meanSpearman(predicted, actual);
    assertTrue(rho >= 0.9, "ridge: Spearman of predicted vs leave-one-out effects " + rho);
    // The units are right too: predicted and actual effects agree in scale, not just in order.
    double num = 0, den = 0;
    for (int q = 0; q < Q; q++) for (int m = 0; m < N; m++) {
      num += predicted[q][m] * actual[q][m];
      den += predicted[q][m] * predicted[q][m];
    }
    double slope = num / den;
    assertTrue(slope > 0.8 && slope < 1.25, "least-squares slope of actual on predicted effects " + slope);
  }

  // ------------------------------------------------------------------ logistic regression

  static final int C = 2;

  /** Softmax probabilities of the logits of x̄ under θ (block order). */
  static double[] probs(double[] theta, double[] xb) {
    int p = xb.length;
    double[] z = new double[C];
    for (int c = 0; c < C; c++) for (int j = 0; j < p; j++) z[c] += theta[c * p + j] * xb[j];
    double m = Math.max(z[0], z[1]), s = 0;
    for (int c = 0; c < C; c++) s += z[c] = Math.exp(z[c] - m);
    for (int c = 0; c < C; c++) z[c] /= s;
    return z;
  }

  /** ∇L of one example: (p − e_y) ⊗ x̄. */
  static double[] lossGradient(double[] theta, double[] xb, int y) {
    double[] pr = probs(theta, xb), g = new double[C * xb.length];
    for (int c = 0; c < C; c++) for (int j = 0; j < xb.length; j++) g[c * xb.length + j] = (pr[c] - (c == y ? 1 : 0)) * xb[j];
    return g;
  }

  /** The Hessian (1/N)·Σ_{i≠skip} (diag(p) − ppᵀ) ⊗ x̄x̄ᵀ + λI. */
  static double[][] hessian(double[] theta, double[][] xb, int skip) {
    int p = xb[0].length, k = C * p;
    double[][] h = new double[k][k];
    for (int i = 0; i < N; i++) {
      if (i == skip) continue;
      double[] pr = probs(theta, xb[i]);
      for (int a = 0; a < C; a++) for (int b = 0; b < C; b++) {
        double w = ((a == b ? pr[a] : 0) - pr[a] * pr[b]) / N;
        for (int j = 0; j < p; j++) for (int l = 0; l < p; l++) h[a * p + j][b * p + l] += w * xb[i][j] * xb[i][l];
      }
    }
    for (int j = 0; j < k; j++) h[j][j] += LAMBDA;
    return h;
  }

  /** Newton's method on (1/N)·Σ_{i≠skip} Lᵢ + (λ/2)‖θ‖² from {@code start}. */
  static double[] newton(double[][] xb, int[] y, int skip, double[] start) {
    double[] theta = start.clone();
    for (int it = 0; it < 50; it++) {
      double[] g = new double[theta.length];
      for (int i = 0; i < N; i++) {
        if (i == skip) continue;
        double[] gi = lossGradient(theta, xb[i], y[i]);
        for (int j = 0; j < g.length; j++) g[j] += gi[j] / N;
      }
      for (int j = 0; j < g.length; j++) g[j] += LAMBDA * theta[j];
      double[] step = solve(hessian(theta, xb, skip), g);
      double norm = 0;
      for (int j = 0; j < theta.length; j++) {
        theta[j] -= step[j];
        norm = Math.max(norm, Math.abs(step[j]));
      }
      if (norm < 1e-14) break;
    }
    return theta;
  }

  /** margin = z_y − z_other for two classes. */
  static double margin(double[] theta, double[] xb, int y) {
    int p = xb.length;
    double zy = 0, zo = 0;
    for (int j = 0; j < p; j++) {
      zy += theta[y * p + j] * xb[j];
      zo += theta[(1 - y) * p + j] * xb[j];
    }
    return zy - zo;
  }

  @Test
  void logisticRegressionMatchesTheAnalyticHessianFormulaAndNewtonLeaveOneOutRefits() {
    Rng r = new Rng(42);
    Tensor x = Tensor.randn(r, DType.F64, N + Q, D);
    double[][] xb = homogeneous(x);
    int[] y = new int[N + Q];
    double[] wTrue = {1.5, -1, 0.5, 0.2, 0.3};
    for (int i = 0; i < N + Q; i++) y[i] = dot(wTrue, xb[i]) + 0.8 * r.normal() > 0 ? 1 : 0;
    Linear model = new Linear(D, C, DType.F64, r);
    AttributionTask t = task(model, new CrossEntropyLoss(), Measurement.margin(), x, new Targets.Classes(y, C));
    int p = D + 1;
    double[] theta = newton(xb, y, -1, new double[C * p]);
    assign(model, theta, C);
    List<Tensor> params = Fixtures.values(model);

    // Analytic: τ(q, m) = ∇f_qᵀ (H + λI)⁻¹ ∇L_m, ∇f_q = (e_y − e_other) ⊗ x̄_q.
    double[][] h = hessian(theta, xb, -1);
    RealMatrix hinv = new LUDecomposition(new Array2DRowRealMatrix(h)).getSolver().getInverse();
    double[][] analytic = new double[Q][N];
    for (int q = 0; q < Q; q++) {
      double[] gf = new double[C * p];
      int yq = y[N + q];
      for (int j = 0; j < p; j++) {
        gf[yq * p + j] = xb[N + q][j];
        gf[(1 - yq) * p + j] = -xb[N + q][j];
      }
      double[] u = hinv.operate(gf);
      for (int m = 0; m < N; m++) analytic[q][m] = dot(u, lossGradient(theta, xb[m], y[m]));
    }

    ScoreOptions so = ScoreOptions.defaults().withTrainBatchSize(16);
    FitOptions fit = FitOptions.of(FisherType.EXPECTED).withBatchSize(16);
    Damping damping = Damping.of(LAMBDA);
    // For a linear model with cross-entropy the Hessian of the loss is its Gauss-Newton matrix.
    List<Scores> methods = List.of(
        InfluenceFunctions.explicitHessian(t, params, fit, damping, so),
        InfluenceFunctions.explicitFisher(t, params, fit, damping, so),
        InfluenceFunctions.conjugateGradient(t, params, InfluenceFunctions.Operator.HESSIAN, fit, damping, 1e-13, 100, so),
        InfluenceFunctions.conjugateGradient(t, params, InfluenceFunctions.Operator.GAUSS_NEWTON, fit, damping, 1e-13, 100, so));
    for (Scores s : methods) {
      double err = Fixtures.relativeError(analytic, s.values());
      assertTrue(err < 1e-9, s.method() + " vs the analytic logistic influence: relative error " + err);
    }

    double[][] actual = new double[Q][N];
    for (int m = 0; m < N; m++) {
      double[] th = newton(xb, y, m, theta);
      for (int q = 0; q < Q; q++) actual[q][m] = margin(th, xb[N + q], y[N + q]) - margin(theta, xb[N + q], y[N + q]);
    }
    double rho = meanSpearman(methods.get(0).predictedEffects(), actual);
    assertTrue(rho >= 0.9, "logistic: Spearman of predicted vs leave-one-out effects " + rho);
  }
}
