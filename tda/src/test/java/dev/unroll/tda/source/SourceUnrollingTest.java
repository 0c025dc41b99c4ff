package dev.unroll.tda.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Module;
import dev.unroll.nn.data.Dataset;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Fixtures;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.methods.ScoreOptions;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.ArrayRealVector;
import org.apache.commons.math3.linear.LUDecomposition;
import org.junit.jupiter.api.Test;

/**
 * SOURCE's special cases against exact unrolling (method.md §2 and §4): with exact Hessians, one step
 * per segment and the power forms it is exact unrolling of full-batch gradient descent; with a
 * single long segment it tends to the influence function.
 */
class SourceUnrollingTest {
  static final SourceOptions EXACT = new SourceOptions(SourceOptions.Curvature.HESSIAN, SourceOptions.Form.POWER, FitOptions.defaults().withBatchSize(5), new ScoreOptions(3, 2, 0));

  /** Segments of one step each, the checkpoint at the step's own parameters θ_k. */
  static SourceInputs oneStepSegments(AttributionTask task, double[][] thetas, double[] lrs, double wd) {
    Module model = task.model();
    SourceStage st = new SourceStage("full-batch", task.train(), SourceStage.identity(task.numTrain()), StageDynamics.sgd(0, wd));
    List<SourceSegment> segs = new ArrayList<>();
    for (int k = 0; k < lrs.length; k++) {
      segs.add(new SourceSegment(0, k, k + 1, lrs[k], 1, List.of(SourceCheckpoint.of(k, Oracle.params(model, thetas[k]), k == 0 ? Double.NaN : lrs[k - 1]))));
    }
    return new SourceInputs(task, List.of(st), segs, Oracle.params(model, thetas[lrs.length]));
  }

  /**
   * Exact unrolling of full-batch GD (method.md §2), with the 1/N: τ[q][m] = Σ_k (η_k/N)⟨v_k, ∇L(z_m, θ_k)⟩,
   * v_{T} = ∇f(z_q, θ_T), v_k = (I − η_k(H_k + λI)) v_{k+1}.
   */
  static double[][] exactUnrolling(AttributionTask task, double[][] thetas, double[] lrs, double wd) {
    Module model = task.model();
    int t = lrs.length, n = task.numTrain();
    double[][] v = Oracle.measurementGradients(model, task.measurement(), task.queries(), thetas[t]);
    double[][] tau = new double[v.length][n];
    for (int k = t - 1; k >= 0; k--) {
      double[][] g = Oracle.lossGradients(model, task.loss(), task.train(), thetas[k]);
      double[][] h = Oracle.hessian(model, task.loss(), task.train(), thetas[k]);
      for (int q = 0; q < v.length; q++) {
        for (int m = 0; m < n; m++) tau[q][m] += lrs[k] / n * Oracle.dot(v[q], g[m]);
        double[] hv = Oracle.mul(h, v[q]);
        for (int j = 0; j < hv.length; j++) v[q][j] -= lrs[k] * (hv[j] + wd * v[q][j]);
      }
    }
    return tau;
  }

  static double measure(AttributionTask task, double[] theta, int q) {
    Batch b = task.queries().batch(new int[] {q});
    Module model = task.model();
    return model.withParameters(Oracle.params(model, theta), () -> task.measurement().perExample(model.forward(b.x()), b.y()).item());
  }

  static final double[] LRS = {0.3, 0.2, 0.4, 0.25, 0.3, 0.35};
  static final double WD = 0.01;

  @Test
  void exactUnrollingOracleMatchesRetrainingWithTheExampleDownWeighted() {
    AttributionTask task = Fixtures.regression(3, 8, 3, 2, 3, 1);
    Module model = task.model();
    double[] theta0 = Oracle.flat(model, model.parameterValues());
    double[][] thetas = Oracle.gradientDescent(model, task.loss(), task.train(), theta0, LRS, WD, null);
    double[][] tau = exactUnrolling(task, thetas, LRS, WD);
    double eps = 1e-5;
    for (int m : new int[] {1, 6}) {
      double[] wPlus = new double[8], wMinus = new double[8];
      java.util.Arrays.fill(wPlus, 1);
      java.util.Arrays.fill(wMinus, 1);
      wPlus[m] = 1 - eps; // removal direction: weight 1 − ε
      wMinus[m] = 1 + eps;
      double[] tp = Oracle.gradientDescent(model, task.loss(), task.train(), theta0, LRS, WD, wPlus)[LRS.length];
      double[] tm = Oracle.gradientDescent(model, task.loss(), task.train(), theta0, LRS, WD, wMinus)[LRS.length];
      for (int q = 0; q < 3; q++) {
        double fd = (measure(task, tp, q) - measure(task, tm, q)) / (2 * eps);
        assertEquals(fd, tau[q][m], 1e-8 * Math.max(1, Math.abs(fd)) + 1e-9, "q=" + q + " m=" + m);
      }
    }
  }

  @Test
  void powerFormWithExactHessiansAndOneStepPerSegmentIsExactUnrollingOfFullBatchGd() {
    AttributionTask task = Fixtures.regression(3, 8, 3, 2, 3, 1);
    Module model = task.model();
    double[][] thetas = Oracle.gradientDescent(model, task.loss(), task.train(), Oracle.flat(model, model.parameterValues()), LRS, WD, null);
    double[][] expected = exactUnrolling(task, thetas, LRS, WD);
    Scores s = Source.pairwise(oneStepSegments(task, thetas, LRS, WD), EXACT);
    double[][] effects = s.predictedEffects();
    double err = Oracle.relErr(expected, effects);
    assertTrue(err <= 1e-8, "relative error " + err);
    assertEquals("source/hessian/power", s.method());
    assertEquals(1.0 / 8, s.effectScale());

    // The exponential forms differ from unrolling by O(η²‖H‖²) per step: halving every step (and
    // taking twice as many) roughly halves the total difference.
    double[] errs = new double[2];
    for (int r = 0; r < 2; r++) {
      int f = 1 << r;
      double[] lrs = new double[LRS.length * f];
      for (int k = 0; k < lrs.length; k++) lrs[k] = LRS[k / f] / f;
      double[][] th = Oracle.gradientDescent(model, task.loss(), task.train(), Oracle.flat(model, model.parameterValues()), lrs, WD, null);
      double[][] ex = exactUnrolling(task, th, lrs, WD);
      double[][] got = Source.pairwise(oneStepSegments(task, th, lrs, WD), EXACT.withForm(SourceOptions.Form.EXPONENTIAL)).predictedEffects();
      errs[r] = Oracle.relErr(ex, got);
    }
    assertTrue(errs[0] > 1e-4 && errs[1] < 0.7 * errs[0] && errs[1] > 0.3 * errs[0], "exponential-form errors " + errs[0] + ", " + errs[1]);
  }

  @Test
  void singleSegmentOfALongRunTendsToTheInfluenceFunction() {
    // Setting: tanh MLP 2-3-1 (13 parameters), 20 points, squared error plus weight decay 0.02,
    // full-batch GD with η = 0.25 for T = 4000 steps, converged to rounding at a minimum where the
    // regularised Hessian H + λI has eigenvalues in [0.036, 7.4]. L = 1 with checkpoints θ_{T−500},
    // θ_T and c = ηT = 1000: φ_r(σ) = (1 − e^{−cσ})/σ equals 1/σ to e^{−36}, so SOURCE must equal the
    // undamped influence function of the regularised objective, q·(H + λI)⁻¹·g at θ_T, to 1e-9
    // relative (measured: 6e-11). Smaller c act as stronger damping: the error falls as c grows
    // (1.05, 0.55, 0.016 for c = 1, 10, 100).
    AttributionTask task = Fixtures.regression(5, 20, 3, 2, 3, 1);
    Module model = task.model();
    int t = 4000;
    double lr = 0.25, wd = 0.02;
    double[] lrs = new double[t];
    java.util.Arrays.fill(lrs, lr);
    double[][] thetas = Oracle.gradientDescent(model, task.loss(), task.train(), Oracle.flat(model, model.parameterValues()), lrs, wd, null);
    double[] th = thetas[t];
    double[] grad = Oracle.meanGradient(model, task.loss(), task.train(), th, null);
    double gn = 0;
    for (int j = 0; j < th.length; j++) gn = Math.max(gn, Math.abs(grad[j] + wd * th[j]));
    assertTrue(gn < 1e-12, "not converged: |∇| = " + gn);

    double[][] h = Oracle.hessian(model, task.loss(), task.train(), th);
    for (int i = 0; i < h.length; i++) h[i][i] += wd;
    LUDecomposition lu = new LUDecomposition(new Array2DRowRealMatrix(h));
    double[][] qg = Oracle.measurementGradients(model, task.measurement(), task.queries(), th);
    double[][] g = Oracle.lossGradients(model, task.loss(), task.train(), th);
    double[][] influence = new double[qg.length][g.length];
    for (int q = 0; q < qg.length; q++) {
      double[] x = lu.getSolver().solve(new ArrayRealVector(qg[q])).toArray();
      for (int m = 0; m < g.length; m++) influence[q][m] = Oracle.dot(x, g[m]);
    }

    SourceStage st = new SourceStage("train", task.train(), SourceStage.identity(20), StageDynamics.sgd(0, wd));
    List<SourceCheckpoint> ck = List.of(SourceCheckpoint.of(t - 500, Oracle.params(model, thetas[t - 500]), lr), SourceCheckpoint.of(t, Oracle.params(model, th), lr));
    SourceOptions o = EXACT.withForm(SourceOptions.Form.EXPONENTIAL);
    double prev = Double.POSITIVE_INFINITY;
    for (double c : new double[] {1, 10, 100, 1000}) {
      SourceInputs in = new SourceInputs(task, List.of(st), List.of(new SourceSegment(0, 0, t, c, 1, ck)), Oracle.params(model, th));
      double err = Oracle.relErr(influence, Source.pairwise(in, o).values());
      assertTrue(err < prev, "c=" + c + ": error " + err + " does not decrease (previous " + prev + ")");
      prev = err;
    }
    assertTrue(prev <= 1e-9, "c=1000: relative error to the influence function " + prev);
  }

  @Test
  void scoresDoNotDependOnBatchSizesOrQueryChunks() {
    AttributionTask task = Fixtures.regression(3, 8, 3, 2, 3, 1);
    Module model = task.model();
    double[][] thetas = Oracle.gradientDescent(model, task.loss(), task.train(), Oracle.flat(model, model.parameterValues()), LRS, WD, null);
    SourceInputs in = oneStepSegments(task, thetas, LRS, WD);
    double[][] a = Source.pairwise(in, EXACT).values();
    double[][] b = Source.pairwise(in, EXACT.withScore(new ScoreOptions(8, 3, 1))).values();
    assertTrue(Oracle.relErr(a, b) < 1e-13);
  }

}
