package dev.unroll.tda.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Fixtures;
import dev.unroll.tda.Scores;
import java.util.List;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.DecompositionSolver;
import org.apache.commons.math3.linear.LUDecomposition;
import org.junit.jupiter.api.Test;

/**
 * TRAK with the output kernel ({@link Trak.Kernel#OUTPUT}) against its Javadoc definition formed
 * explicitly in float64: φ_m = R∇h(z_m) with h the output function (the output of a one-output
 * squared error, the true-class margin log(p/(1−p)) for cross-entropy), K = (1/N)·Σ_m φ_m φ_mᵀ,
 * τ(q, m) = (R∇f(z_q))ᵀ (K + λI)⁻¹ (R∇L(z_m)) and self-influence (R∇L_m)ᵀ (K + λI)⁻¹ (R∇L_m). All
 * gradients come from {@link GradientOracles} (output Jacobians and closed-form output derivatives).
 */
class TrakOutputKernelOracleTest {

  /** h(z_m), f(z_q) and L(z_m) gradients of a task, [N][P], [Q][P], [N][P]. */
  record Gradients(double[][] h, double[][] q, double[][] loss) {
    static Gradients of(AttributionTask t, List<Tensor> p) {
      return new Gradients(GradientOracles.all(t, p, GradientOracles.Of.TRAK_OUTPUT),
          GradientOracles.all(t.withTrain(t.queries()), p, GradientOracles.Of.MEASUREMENT), GradientOracles.all(t, p, GradientOracles.Of.LOSS));
    }
  }

  /** a·b for row-major a [n][k] and b [k][m]. */
  static double[][] times(double[][] a, double[][] b) {
    double[][] out = new double[a.length][b[0].length];
    for (int i = 0; i < a.length; i++) for (int k = 0; k < b.length; k++) for (int j = 0; j < b[0].length; j++) out[i][j] += a[i][k] * b[k][j];
    return out;
  }

  /** The pairwise scores and self-influences of features Φ (rows h), queries and losses, with K = (1/N)·ΦᵀΦ + λI. */
  static double[][][] reference(double[][] phi, double[][] q, double[][] loss, double lambda) {
    int n = phi.length, k = phi[0].length;
    double[][] kernel = new double[k][k];
    for (double[] f : phi) for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) kernel[a][b] += f[a] * f[b] / n;
    for (int a = 0; a < k; a++) kernel[a][a] += lambda;
    DecompositionSolver solver = new LUDecomposition(new Array2DRowRealMatrix(kernel)).getSolver();
    double[][] pairwise = new double[q.length][n], self = new double[1][n];
    double[][] solvedQ = new double[q.length][];
    for (int i = 0; i < q.length; i++) solvedQ[i] = solver.solve(new ArrayRealVector(q[i])).toArray();
    for (int m = 0; m < n; m++) {
      double[] solvedM = solver.solve(new ArrayRealVector(loss[m])).toArray();
      self[0][m] = GradientOracles.dot(loss[m], solvedM);
      for (int i = 0; i < q.length; i++) pairwise[i][m] = GradientOracles.dot(solvedQ[i], loss[m]);
    }
    return new double[][][] {pairwise, self};
  }

  /**
   * With a full-rank projection (k = P, R invertible) and no damping, R cancels:
   * (Rᵀg_q)ᵀ (RᵀFR)⁻¹ (Rᵀg_m) = g_qᵀ F⁻¹ g_m with F = (1/N)·Σ_m ∇h_m ∇h_mᵀ, the output Fisher; likewise
   * the self-influence g_mᵀ F⁻¹ g_m. On a one-output squared-error tanh MLP 3 → 4 → 1 (P = 21) with
   * 200 training examples, at its initial parameters: there cond(F) ≈ 1e6 (after 100 steps of
   * training it is ≈ 2e8 and TRAK's Cholesky of RᵀFR loses ≈ 1e-7 to rounding). Tolerance 1e-8
   * relative to the largest score, as for the loss kernel. Cross-entropy has no undamped full-rank
   * version: the margin, like the loss, is invariant to adding a constant to every logit, so F is
   * singular (a null space of dimension hidden + 1 in the last layer); see the damped test.
   */
  @Test
  void fullRankOutputKernelIsTheOutputFisherInfluence() {
    AttributionTask t = Fixtures.regression(71, 200, 4, 3, 4, 1);
    List<Tensor> p = Fixtures.values(t.model());
    Gradients g = Gradients.of(t, p);
    double[][][] want = reference(g.h(), g.q(), g.loss(), 0);
    Trak.Options o = Trak.Options.defaults(t.layout().size()).withKernel(Trak.Kernel.OUTPUT).withProjection(RandomProjection.Kind.GAUSSIAN)
        .withDamping(Damping.of(0)).withBatchSize(16);
    Scores s = Trak.scores(t, List.of(p), o);
    double err = Fixtures.relativeError(want[0], s.values());
    double errSelf = Fixtures.relativeError(want[1][0], Trak.selfInfluence(t, List.of(p), o).selfValues());
    assertTrue(err < 1e-8, t.loss() + ": TRAK(output, k = P) vs the output-Fisher influence: relative error " + err);
    assertTrue(errSelf < 1e-8, t.loss() + ": TRAK(output, k = P) self-influence: relative error " + errSelf);
    assertEquals(1.0 / t.numTrain(), s.effectScale());
  }

  /**
   * With k &lt; P and the damping 0.1 × mean eigenvalue of K (λ = 0.1·trace(K)/k), the projection no
   * longer cancels: R [P, k] is read off by projecting the identity (x ↦ xR, seed 0 for the one
   * model), and τ = (g_q R)(RᵀFR + λI)⁻¹(Rᵀg_m) is formed explicitly. On a one-output squared-error
   * MLP, an MLP classifier and the convnet (k = 16, N = 20; cross-entropy through the margin). Tolerance 1e-10 relative to the largest score; the recorded λ to 1e-12.
   */
  @Test
  void projectedDampedOutputKernelMatchesTheExplicitFormula() {
    for (AttributionTask t : List.of(Fixtures.regression(75, 20, 3, 3, 4, 1), Fixtures.classification(73, 20, 3, 3, 3, 4, 3), Fixtures.conv(74, 20, 3))) {
      List<Tensor> p = Fixtures.values(t.model());
      int pd = t.layout().size(), k = 16;
      Trak.Options o = Trak.Options.defaults(k).withKernel(Trak.Kernel.OUTPUT).withDamping(Damping.meanEigenvalue(0.1)).withBatchSize(6);
      double[] eye = new double[pd * pd];
      for (int i = 0; i < pd; i++) eye[i * pd + i] = 1;
      double[] rv = new RandomProjection(pd, k, o.projection(), o.seed(), DType.F64, 0).project(Tensor.of(eye, pd, pd)).toDoubleArray();
      double[][] r = new double[pd][k];
      for (int i = 0; i < pd; i++) System.arraycopy(rv, i * k, r[i], 0, k);
      Gradients g = Gradients.of(t, p);
      double[][] phi = times(g.h(), r);
      double trace = 0;
      for (double[] f : phi) for (double x : f) trace += x * x / t.numTrain();
      double lambda = 0.1 * trace / k;
      double[][][] want = reference(phi, times(g.q(), r), times(g.loss(), r), lambda);
      Scores s = Trak.scores(t, List.of(p), o);
      double err = Fixtures.relativeError(want[0], s.values());
      double errSelf = Fixtures.relativeError(want[1][0], Trak.selfInfluence(t, List.of(p), o).selfValues());
      assertTrue(err < 1e-10, t.model() + ": pairwise relative error " + err);
      assertTrue(errSelf < 1e-10, t.model() + ": self-influence relative error " + errSelf);
      assertEquals(lambda, Double.parseDouble(s.settings().get("damping_value")), 1e-12 * lambda);
    }
  }
}
