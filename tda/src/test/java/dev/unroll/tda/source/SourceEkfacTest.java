package dev.unroll.tda.source;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Module;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Fixtures;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.KroneckerFactors;
import dev.unroll.tda.curvature.SymmetricEigen;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.methods.ScoreOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * SOURCE with EK-FAC per segment (method.md §4: factors averaged over the segment's checkpoints,
 * one eigenbasis, eigenvalue corrections per checkpoint averaged) against dense matrices assembled
 * independently from the same definition, and against exact Hessians where EK-FAC is exact.
 */
class SourceEkfacTest {
  static final FitOptions EMPIRICAL = FitOptions.of(FisherType.EMPIRICAL).withBatchSize(5);

  /**
   * A linear model with two outputs under squared error: the Gauss-Newton matrix is the Hessian, and
   * with the expected Fisher both K-FAC and EK-FAC are exact (S = 2I, A = E[āāᵀ]), at every
   * checkpoint and for their averages. So SOURCE with either must equal SOURCE with exact Hessians.
   */
  @ParameterizedTest
  @EnumSource(value = SourceOptions.Curvature.class, names = {"EKFAC", "KFAC"})
  void onALinearModelKroneckerSourceEqualsExactHessianSource(SourceOptions.Curvature curvature) {
    SourceInputs in = regressionRun(8, 13, new int[] {0, 5, 9}, 3, 2);
    SourceOptions o = new SourceOptions(SourceOptions.Curvature.HESSIAN, SourceOptions.Form.EXPONENTIAL, FitOptions.of(FisherType.EXPECTED).withBatchSize(5), new ScoreOptions(5, 2, 0));
    double[][] exact = Source.pairwise(in, o).values();
    double[][] kron = Source.pairwise(in, o.withCurvature(curvature)).values();
    double err = Oracle.relErr(exact, kron);
    assertTrue(err < 1e-10, curvature + ": relative error " + err);
  }

  /**
   * A float64 tanh MLP of the given widths trained by SGD with momentum and weight decay on n random
   * regression examples (4 epochs, batches of 3, 6 checkpoints in 3 segments), with the examples
   * {@code queries} as queries of their squared error.
   */
  static SourceInputs regressionRun(long seed, int n, int[] queries, int... widths) {
    Rng r = new Rng(seed);
    int in = widths[0], out = widths[widths.length - 1];
    double[] x = new double[n * in], y = new double[n * out];
    for (int i = 0; i < x.length; i++) x[i] = r.normal();
    for (int i = 0; i < y.length; i++) y[i] = r.normal();
    Dataset d = new Dataset("d", Tensor.of(x, n, in), new Targets.Regression(Tensor.of(y, n, out)));
    StageSpec st = new StageSpec("s", DataSpec.all("d"), OptimizerSpec.sgd(0.9, 1e-3, false), LrSchedule.constant(0.05), 4, 3, false, 6, 3, null, null);
    Runs.Run run = Runs.run(RunConfig.of(ModelSpec.mlp(Activation.TANH, widths), "mse", DType.F64, 1, st), d);
    AttributionTask task = new AttributionTask(run.task().model(), new MseLoss(), Measurement.loss(new MseLoss()), d, d.subset(queries));
    return SourceInputs.of(run.trajectory(), task);
  }

  /**
   * The first Kronecker segment rotates rank-one query gradients from their factors, (Q_Sᵀg)(Q_Aᵀā)ᵀ:
   * every segment's query blocks score as those rotated from the formed gradients (float64).
   */
  @Test
  void queryFactorsGiveTheQueriesOfTheFormedGradients() {
    int n = 17;
    SourceInputs in = regressionRun(9, n, new int[] {0, 5, 9, 12}, 3, 5, 4, 2);
    AttributionTask task = in.task();
    SourceOptions o = new SourceOptions(SourceOptions.Curvature.EKFAC, SourceOptions.Form.EXPONENTIAL, EMPIRICAL, new ScoreOptions(5, 3, 0));
    Source fitted = Source.fit(in, o);
    dev.unroll.tda.grad.Gradients.QueryGradients g = dev.unroll.tda.grad.Gradients.queriesWithFactors(task, in.finalParameters(), 3);
    org.junit.jupiter.api.Assertions.assertArrayEquals(dev.unroll.tda.grad.Gradients.queries(task, in.finalParameters(), 3).toDoubleArray(), g.flat().toDoubleArray(), 0.0);
    for (Tensor[] f : g.factors()) assertTrue(f != null && f[0].dim(0) == 4 && f[1].dim(0) == 4);
    var formed = fitted.segmentQueries(g.flat());
    var factored = fitted.segmentQueries(g.flat(), g.factors());
    assertTrue(formed.size() == 3);
    for (int l = 0; l < formed.size(); l++) {
      double[][] a = new double[4][n], b = new double[4][n];
      dev.unroll.tda.grad.GradientDots.accumulate(task, in.finalParameters(), formed.get(l), 5, 1.0, a, null);
      dev.unroll.tda.grad.GradientDots.accumulate(task, in.finalParameters(), factored.get(l), 5, 1.0, b, null);
      double err = Oracle.relErr(a, b);
      assertTrue(err < 1e-12, "segment " + l + ": relative error " + err);
    }
  }

  // ------------------------------------------------------------------ dense EK-FAC oracle

  /** Row-major [n][n] of a square tensor. */
  static double[][] square(Tensor t) {
    int n = t.dim(0);
    double[] v = t.toDoubleArray();
    double[][] m = new double[n][n];
    for (int i = 0; i < n; i++) System.arraycopy(v, i * n, m[i], 0, n);
    return m;
  }

  /**
   * The dense block-order EK-FAC matrix of one segment in the coordinates θ' = P^{-1/2}θ
   * (sqrtP = 1 for SGD): for each block, Q = Q_S ⊗ Q_A from the averaged factors (A and S of every
   * checkpoint from {@link Ekfac#covariances}, the definitions' owner), Λ̄[i, j] = mean over
   * checkpoints of (1/N)Σₙ ((Q_Sᵀ (√p ⊙ Gₙ) Q_A)[i, j])² with Gₙ the per-example loss gradient
   * (empirical Fisher) by plain autodiff, M = Q diag(Λ̄) Qᵀ, plus weight decay: λ·Qdiag(diag(QᵀPQ))Qᵀ
   * for Adam (L2), λI otherwise.
   */
  static double[][] denseEkfac(AttributionTask task, List<double[]> thetas, double[] sqrtP, double wd, boolean adamL2) {
    Module model = task.model();
    GradientLayout layout = task.layout();
    int p = layout.size();
    List<KroneckerFactors> fs = new ArrayList<>();
    for (double[] th : thetas) fs.add(Ekfac.covariances(task, Oracle.params(model, th), EMPIRICAL));
    double[][] m = new double[p][p];
    for (GradientLayout.Block bl : layout.blocks()) {
      int b = bl.index(), out = bl.out(), in = bl.in(), off = bl.offset();
      double[][] a = new double[in][in], s = new double[out][out];
      for (KroneckerFactors f : fs) {
        a = Oracle.add(a, square(f.a().get(b)), 1);
        s = Oracle.add(s, square(f.s().get(b)), 1);
      }
      double[][] qa = SymmetricEigen.of(Oracle.scale(a, 1.0 / fs.size())).q(), qs = SymmetricEigen.of(Oracle.scale(s, 1.0 / fs.size())).q();
      double[][] lambda = new double[out][in];
      for (double[] th : thetas) {
        double[][] g = Oracle.lossGradients(model, task.loss(), task.train(), th);
        for (double[] gn : g) {
          double[] gb = layout.toBlockOrder(gn);
          double[][] gm = new double[out][in];
          for (int o = 0; o < out; o++) for (int j = 0; j < in; j++) gm[o][j] = gb[off + o * in + j] * (sqrtP == null ? 1 : sqrtP[off + o * in + j]);
          double[][] rot = Oracle.mul(Oracle.mul(Oracle.transpose(qs), gm), qa);
          for (int i = 0; i < out; i++) for (int j = 0; j < in; j++) lambda[i][j] += rot[i][j] * rot[i][j] / g.length / thetas.size();
        }
      }
      // Q = Q_S ⊗ Q_A: column (i, j) has entry (o, a) = Q_S[o][i]·Q_A[a][j].
      double[][] q = new double[out * in][out * in];
      for (int o = 0; o < out; o++) for (int aa = 0; aa < in; aa++) for (int i = 0; i < out; i++) for (int j = 0; j < in; j++) q[o * in + aa][i * in + j] = qs[o][i] * qa[aa][j];
      double[] diag = new double[out * in];
      for (int k = 0; k < diag.length; k++) {
        diag[k] = lambda[k / in][k % in];
        if (wd != 0 && adamL2) {
          double d = 0;
          for (int e = 0; e < diag.length; e++) d += q[e][k] * q[e][k] * sqrtP[off + e] * sqrtP[off + e];
          diag[k] += wd * d;
        } else {
          diag[k] += wd;
        }
      }
      for (int e = 0; e < diag.length; e++) for (int f = 0; f < diag.length; f++) {
        double v = 0;
        for (int k = 0; k < diag.length; k++) v += q[e][k] * diag[k] * q[f][k];
        m[off + e][off + f] = v;
      }
    }
    return m;
  }

  /**
   * τ from dense block-order curvatures M_ℓ in θ' coordinates, mapped back to the original
   * coordinates as the non-symmetric D M D⁻¹ (D = diag √p̄, the EK-FAC stand-in for P(H̄ + λ)):
   * Ē = exp(−c DMD⁻¹), R = ∫₀^c exp(−t DMD⁻¹) dt · D², τ = Σ_ℓ qᵀ Ē_L⋯Ē_{ℓ+1} R_ℓ ḡ_ℓ.
   */
  static double[][] scores(AttributionTask task, List<double[][]> ms, List<double[]> sqrtPs, List<List<double[]>> thetas, double[] cs, double[] thetaT) {
    Module model = task.model();
    GradientLayout layout = task.layout();
    double[][] v = Oracle.measurementGradients(model, task.measurement(), task.queries(), thetaT);
    for (int q = 0; q < v.length; q++) v[q] = layout.toBlockOrder(v[q]);
    double[][] tau = new double[v.length][task.numTrain()];
    int p = layout.size();
    for (int l = ms.size() - 1; l >= 0; l--) {
      double[] d = sqrtPs.get(l);
      double[][] orig = new double[p][p];
      for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) orig[i][j] = (d == null ? 1 : d[i]) * ms.get(l)[i][j] / (d == null ? 1 : d[j]);
      double[][][] er = Oracle.expAndGain(orig, cs[l]);
      double[][] gbar = new double[task.numTrain()][p];
      for (double[] th : thetas.get(l)) {
        double[][] g = Oracle.lossGradients(model, task.loss(), task.train(), th);
        for (int m = 0; m < g.length; m++) {
          double[] gb = layout.toBlockOrder(g[m]);
          for (int j = 0; j < p; j++) gbar[m][j] += gb[j] / thetas.get(l).size();
        }
      }
      for (int q = 0; q < v.length; q++) {
        double[] rv = Oracle.mulT(er[1], v[q]);
        if (d != null) for (int j = 0; j < p; j++) rv[j] *= d[j] * d[j];
        for (int m = 0; m < gbar.length; m++) tau[q][m] += Oracle.dot(rv, gbar[m]);
        v[q] = Oracle.mulT(er[0], v[q]);
      }
    }
    return tau;
  }

  /** Two segments of three full-batch GD steps each on a task, checkpoints at steps {2, 3} and {5, 6}. */
  record Plan(AttributionTask task, double[][] thetas, double[] lrs, int[][] checkpoints) {
    List<double[]> thetasOf(int l) {
      List<double[]> out = new ArrayList<>();
      for (int c : checkpoints[l]) out.add(thetas[c]);
      return out;
    }

    SourceInputs inputs(StageDynamics dyn, List<List<double[]>> preconditioners) {
      Module model = task.model();
      SourceStage st = new SourceStage("s", task.train(), SourceStage.identity(task.numTrain()), dyn);
      List<SourceSegment> segs = new ArrayList<>();
      for (int l = 0; l < 2; l++) {
        List<SourceCheckpoint> cks = new ArrayList<>();
        for (int j = 0; j < checkpoints[l].length; j++) {
          int c = checkpoints[l][j];
          List<Tensor> pre = preconditioners == null ? null : Oracle.params(model, preconditioners.get(l).get(j));
          cks.add(new SourceCheckpoint(c, Oracle.params(model, thetas[c]), pre, lrs[c - 1]));
        }
        segs.add(new SourceSegment(0, 3 * l, 3 * l + 3, lrs[3 * l] + lrs[3 * l + 1] + lrs[3 * l + 2], dyn.lrScale(), cks));
      }
      return new SourceInputs(task, List.of(st), segs, Oracle.params(model, thetas[6]));
    }
  }

  static Plan plan(AttributionTask task, double wd) {
    Module model = task.model();
    double[] lrs = {0.3, 0.25, 0.3, 0.2, 0.3, 0.25};
    double[][] th = Oracle.gradientDescent(model, task.loss(), task.train(), Oracle.flat(model, model.parameterValues()), lrs, wd, null);
    return new Plan(task, th, lrs, new int[][] {{2, 3}, {5, 6}});
  }

  @Test
  void convolutionalAndLinearLayersFollowTheDenseEkfacFormula() {
    // Conv2d(2→3, 3×3, pad 1) → ReLU → Conv2d(3→2, 3×3, stride 2, no bias) → Flatten → Linear(8→3),
    // cross-entropy, margin measurement, momentum 0.5 (c = Σ η / 0.5), weight decay 1e-3.
    AttributionTask task = Fixtures.conv(12, 10, 2);
    double wd = 1e-3;
    Plan pl = plan(task, wd);
    StageDynamics dyn = StageDynamics.sgd(0.5, wd);
    SourceInputs in = pl.inputs(dyn, null);
    List<double[][]> ms = new ArrayList<>();
    List<List<double[]>> ths = new ArrayList<>();
    for (int l = 0; l < 2; l++) {
      ths.add(pl.thetasOf(l));
      ms.add(denseEkfac(task, pl.thetasOf(l), null, wd, false));
    }
    double[] cs = {in.segments().get(0).c(), in.segments().get(1).c()};
    double[][] expected = scores(task, ms, java.util.Arrays.asList(null, null), ths, cs, pl.thetas()[6]);
    SourceOptions o = new SourceOptions(SourceOptions.Curvature.EKFAC, SourceOptions.Form.EXPONENTIAL, EMPIRICAL, new ScoreOptions(4, 2, 0));
    double err = Oracle.relErr(expected, Source.pairwise(in, o).values());
    assertTrue(err < 1e-9, "relative error " + err);
    // and the self-influences are the diagonal
    Source fitted = Source.fit(in, o);
    double[] self = fitted.selfInfluence().selfValues();
    double[] diag = Source.fit(in.withTask(task.trainAsQueries()), o).pairwise().selfValues();
    assertTrue(Oracle.relErr(new double[][] {diag}, new double[][] {self}) < 1e-11);
  }

  @ParameterizedTest
  @EnumSource(value = StageDynamics.Kind.class, names = {"ADAM", "ADAMW"})
  void adamEkfacUsesThePreconditionedCorrectionInTheSegmentsBasis(StageDynamics.Kind kind) {
    AttributionTask task = Fixtures.regression(14, 9, 2, 3, 4, 1);
    double wd = 0.02;
    Plan pl = plan(task, 0);
    Rng r = new Rng(3);
    int p = task.layout().size();
    List<List<double[]>> pre = new ArrayList<>();
    List<double[]> sqrtP = new ArrayList<>();
    for (int l = 0; l < 2; l++) {
      List<double[]> seg = new ArrayList<>();
      double[] mean = new double[p];
      for (int j = 0; j < 2; j++) {
        double[] pc = new double[p];
        for (int i = 0; i < p; i++) pc[i] = 0.2 + 3 * r.uniform();
        seg.add(pc);
        for (int i = 0; i < p; i++) mean[i] += pc[i] / 2;
      }
      pre.add(seg);
      // the oracle works in block order
      double[] sb = task.layout().toBlockOrder(mean);
      for (int i = 0; i < p; i++) sb[i] = Math.sqrt(sb[i]);
      sqrtP.add(sb);
    }
    StageDynamics dyn = new StageDynamics(kind, 1, wd);
    SourceInputs in = pl.inputs(dyn, pre);
    List<double[][]> ms = new ArrayList<>();
    List<List<double[]>> ths = new ArrayList<>();
    for (int l = 0; l < 2; l++) {
      ths.add(pl.thetasOf(l));
      ms.add(denseEkfac(task, pl.thetasOf(l), sqrtP.get(l), wd, kind == StageDynamics.Kind.ADAM));
    }
    double[] cs = {in.segments().get(0).c(), in.segments().get(1).c()};
    double[][] expected = scores(task, ms, sqrtP, ths, cs, pl.thetas()[6]);
    SourceOptions o = new SourceOptions(SourceOptions.Curvature.EKFAC, SourceOptions.Form.EXPONENTIAL, EMPIRICAL, new ScoreOptions(4, 2, 0));
    double err = Oracle.relErr(expected, Source.pairwise(in, o).values());
    assertTrue(err < 1e-9, kind + ": relative error " + err);
  }
}
