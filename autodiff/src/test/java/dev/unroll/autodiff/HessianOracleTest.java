package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Second-order derivatives against oracles that do not use the engine's second-order machinery:
 * the closed-form Hessian of softmax regression, and central differences of gradients on a
 * two-layer tanh MLP, in float64.
 */
class HessianOracleTest {
  static final int B = 6, D = 3, H = 4, C = 3;
  static final int[] LABELS = {0, 2, 1, 1, 0, 2};

  static Tensor inputs() {
    return Tensor.randn(new Rng(11), DType.F64, B, D);
  }

  /** Mean softmax cross-entropy of a linear model with weights θ viewed as W [C, D] (no bias). */
  static Tensor softmaxRegression(Tensor theta) {
    Tensor w = theta.reshape(C, D);
    return Ops.crossEntropy(inputs().matmul(w.t()), LABELS).mean();
  }

  /** Mean cross-entropy of a 3-4-3 tanh MLP whose parameters are the flat vector θ. */
  static Tensor mlp(Tensor theta) {
    int o = 0;
    Tensor w1 = theta.slice(0, o, o += H * D).reshape(H, D);
    Tensor b1 = theta.slice(0, o, o += H);
    Tensor w2 = theta.slice(0, o, o += C * H).reshape(C, H);
    Tensor b2 = theta.slice(0, o, o += C);
    Tensor h = inputs().matmul(w1.t()).add(b1).tanh();
    return Ops.crossEntropy(h.matmul(w2.t()).add(b2), LABELS).mean();
  }

  static final int MLP_SIZE = H * D + H + C * H + C;

  /**
   * The closed form: H = (1/B) Σₙ (diag(pₙ) − pₙpₙᵀ) ⊗ xₙxₙᵀ, indexed [(c, d), (c', d')].
   */
  @Test
  void softmaxRegressionHessianMatchesClosedForm() {
    Tensor theta = Tensor.randn(new Rng(5), DType.F64, C * D);
    double[][] h = Derivatives.hessian(HessianOracleTest::softmaxRegression, theta);
    double[] x = inputs().toDoubleArray(), w = theta.toDoubleArray();
    double[][] expected = new double[C * D][C * D];
    for (int n = 0; n < B; n++) {
      double[] logits = new double[C];
      double max = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < C; c++) {
        for (int d = 0; d < D; d++) logits[c] += w[c * D + d] * x[n * D + d];
        max = Math.max(max, logits[c]);
      }
      double z = 0;
      double[] p = new double[C];
      for (int c = 0; c < C; c++) z += p[c] = Math.exp(logits[c] - max);
      for (int c = 0; c < C; c++) p[c] /= z;
      for (int c = 0; c < C; c++) for (int c2 = 0; c2 < C; c2++) {
        double s = (c == c2 ? p[c] : 0) - p[c] * p[c2];
        for (int d = 0; d < D; d++) for (int d2 = 0; d2 < D; d2++) expected[c * D + d][c2 * D + d2] += s * x[n * D + d] * x[n * D + d2] / B;
      }
    }
    assertMatrixClose(expected, h, 1e-13, "softmax-regression Hessian");
  }

  /** Every column of the MLP Hessian against central differences of the reverse-mode gradient. */
  @Test
  void mlpHessianMatchesDifferencesOfGradients() {
    Tensor theta = Tensor.randn(new Rng(7), DType.F64, MLP_SIZE).mul(0.7);
    double[][] h = Derivatives.hessian(HessianOracleTest::mlp, theta);
    double[][] fd = new double[MLP_SIZE][];
    double step = GradCheck.H2;
    for (int j = 0; j < MLP_SIZE; j++) {
      double[] gp = gradientAt(HessianOracleTest::mlp, theta, j, step), gm = gradientAt(HessianOracleTest::mlp, theta, j, -step);
      fd[j] = new double[MLP_SIZE];
      for (int i = 0; i < MLP_SIZE; i++) fd[j][i] = (gp[i] - gm[i]) / (2 * step);
    }
    assertMatrixClose(fd, h, 1e-7, "MLP Hessian vs differences of gradients");
    for (int i = 0; i < MLP_SIZE; i++) for (int j = 0; j < i; j++) assertEquals(h[i][j], h[j][i], 1e-12, "Hessian symmetry at " + i + "," + j);
  }

  /** hvp and hvpBatch (several vectors sharing one gradient graph) equal H·v with H explicit. */
  @Test
  void hvpAndBatchedHvpMatchExplicitHessian() {
    Tensor theta = Tensor.randn(new Rng(8), DType.F64, MLP_SIZE).mul(0.7);
    double[][] h = Derivatives.hessian(HessianOracleTest::mlp, theta);
    Rng r = new Rng(9);
    List<List<Tensor>> vs = new ArrayList<>();
    for (int k = 0; k < 4; k++) vs.add(List.of(Tensor.randn(r, DType.F64, MLP_SIZE)));
    Tensor p = theta.detach().requiresGrad(true);
    List<List<Tensor>> batch = Derivatives.hvpBatch(mlp(p), List.of(p), vs);
    for (int k = 0; k < vs.size(); k++) {
      double[] v = vs.get(k).get(0).toDoubleArray();
      double[] expected = new double[MLP_SIZE];
      for (int i = 0; i < MLP_SIZE; i++) for (int j = 0; j < MLP_SIZE; j++) expected[i] += h[i][j] * v[j];
      Tensor q = theta.detach().requiresGrad(true);
      double[] single = Derivatives.hvp(mlp(q), List.of(q), vs.get(k)).get(0).toDoubleArray();
      assertVectorClose(expected, single, 1e-12, "hvp " + k);
      assertVectorClose(expected, batch.get(k).get(0).toDoubleArray(), 1e-12, "hvpBatch " + k);
    }
  }

  /** A float32 HVP of the same model agrees with the float64 one to float32 precision. */
  @Test
  void float32HvpAgreesWithFloat64() {
    Tensor theta = Tensor.randn(new Rng(10), DType.F64, MLP_SIZE).mul(0.7);
    Tensor v = Tensor.randn(new Rng(12), DType.F64, MLP_SIZE);
    Tensor p64 = theta.detach().requiresGrad(true);
    double[] h64 = Derivatives.hvp(mlp(p64), List.of(p64), List.of(v)).get(0).toDoubleArray();
    Tensor p32 = theta.to(DType.F32).detach().requiresGrad(true);
    Function<Tensor, Tensor> mlp32 = t -> {
      int o = 0;
      Tensor x = inputs().to(DType.F32);
      Tensor w1 = t.slice(0, o, o += H * D).reshape(H, D), b1 = t.slice(0, o, o += H);
      Tensor w2 = t.slice(0, o, o += C * H).reshape(C, H), b2 = t.slice(0, o, o += C);
      return Ops.crossEntropy(x.matmul(w1.t()).add(b1).tanh().matmul(w2.t()).add(b2), LABELS).mean();
    };
    double[] h32 = Derivatives.hvp(mlp32.apply(p32), List.of(p32), List.of(v.to(DType.F32))).get(0).toDoubleArray();
    assertVectorClose(h64, h32, 1e-5, "float32 vs float64 HVP");
  }

  private static double[] gradientAt(Function<Tensor, Tensor> f, Tensor theta, int j, double h) {
    double[] v = theta.toDoubleArray();
    v[j] += h;
    Tensor p = Tensor.of(v, theta.shape()).requiresGrad(true);
    return Derivatives.gradient(f.apply(p), List.of(p)).get(0).toDoubleArray();
  }

  static void assertMatrixClose(double[][] expected, double[][] actual, double rel, String what) {
    double scale = 0, diff = 0;
    for (int i = 0; i < expected.length; i++) for (int j = 0; j < expected[i].length; j++) {
      scale = Math.max(scale, Math.abs(expected[i][j]));
      diff = Math.max(diff, Math.abs(expected[i][j] - actual[i][j]));
    }
    assertTrue(scale > 0, what + ": oracle is identically zero");
    assertTrue(diff <= rel * scale, what + ": max abs difference " + diff + " exceeds " + rel + " x " + scale);
  }

  static void assertVectorClose(double[] expected, double[] actual, double rel, String what) {
    assertMatrixClose(new double[][] {expected}, new double[][] {actual}, rel, what);
  }
}
