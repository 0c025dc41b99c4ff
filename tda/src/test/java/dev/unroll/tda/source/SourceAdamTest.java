package dev.unroll.tda.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Module;
import dev.unroll.nn.ParameterVector;
import dev.unroll.optim.train.RunRecord;
import dev.unroll.optim.train.Snapshot;
import dev.unroll.optim.train.Trajectory;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.methods.ScoreOptions;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * SOURCE for Adam-type optimizers (method.md §4): each step is θ ← θ − ηP∇J with the diagonal
 * preconditioner P averaged per segment, so S̄ = exp(−cP(H̄ + λI)) and r̄ = ∫₀^c exp(−tP(H̄ + λI))dt·P ḡ
 * (AdamW: P H̄ + λI), evaluated here with non-symmetric matrix exponentials.
 */
class SourceAdamTest {
  static final SourceOptions DENSE = new SourceOptions(SourceOptions.Curvature.HESSIAN, SourceOptions.Form.EXPONENTIAL, FitOptions.defaults().withBatchSize(4), new ScoreOptions(4, 2, 0));

  static double[] flatPv(Module model, List<Tensor> perParameter) {
    return ParameterVector.of(model).flatten(perParameter, DType.F64).toDoubleArray();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void preconditionerIsWhatAdamMultipliedTheBiasCorrectedMomentBy(boolean decoupled) {
    double wd = 0.01;
    Runs.Run run = Runs.adam(decoupled, wd);
    Trajectory tr = run.trajectory();
    RunRecord rec = tr.record();
    Module model = run.task().model();
    SourceInputs in = run.inputs();
    assertEquals(decoupled ? StageDynamics.Kind.ADAMW : StageDynamics.Kind.ADAM, in.stages().get(0).dynamics().kind());
    int checked = 0;
    for (SourceSegment g : in.segments()) {
      assertEquals(1.0, g.lrScale());
      for (SourceCheckpoint c : g.checkpoints()) {
        Snapshot now = tr.at(c.step()), before = tr.at(c.step() - 1);
        double[] th = flatPv(model, now.parameterList()), th0 = flatPv(model, before.parameterList());
        double t = now.optimizerState().get("step").item();
        List<Tensor> m = model.parameters().stream().map(p -> now.optimizerState().get("adam.m." + p.name())).toList();
        double[] mhat = flatPv(model, m), p = flatPv(model, c.preconditioner());
        double eta = rec.lr(c.step() - 1);
        for (int j = 0; j < th.length; j++) {
          // θ_c = θ_{c−1}·(1 − ηλ if decoupled) − η·m̂·P
          double expected = th0[j] * (decoupled ? 1 - eta * wd : 1) - eta * mhat[j] / (1 - Math.pow(0.9, t)) * p[j];
          assertEquals(expected, th[j], 1e-13 * Math.max(1, Math.abs(th[j])), "step " + c.step() + " entry " + j);
        }
        checked++;
      }
    }
    assertEquals(4, checked);
  }

  /** τ from the non-symmetric forms for the inputs' task (its queries and measurement), parameters from the run's snapshots (Fast-Source: the segment's mean), P from the inputs (checked above). */
  static double[][] formula(Runs.Run run, SourceInputs in, boolean decoupled, double wd) {
    Trajectory tr = run.trajectory();
    RunRecord rec = tr.record();
    AttributionTask task = in.task();
    Module model = task.model();
    double[][] v = Oracle.measurementGradients(model, task.measurement(), task.queries(), Oracle.flat(model, tr.at(rec.totalSteps()).parameterList()));
    int n = task.numTrain();
    double[][] tau = new double[v.length][n];
    for (int l = in.segments().size() - 1; l >= 0; l--) {
      SourceSegment g = in.segments().get(l);
      int p = v[0].length;
      double[][] h = new double[p][p], gbar = new double[n][p];
      double[] pbar = new double[p];
      for (SourceCheckpoint c : g.checkpoints()) {
        double[] th = Oracle.flat(model, c.step() >= 0 ? tr.at(c.step()).parameterList() : c.parameters());
        h = Oracle.add(h, Oracle.hessian(model, task.loss(), task.train(), th), 1.0 / g.numCheckpoints());
        gbar = Oracle.add(gbar, Oracle.lossGradients(model, task.loss(), task.train(), th), 1.0 / g.numCheckpoints());
        double[] pc = flatPv(model, c.preconditioner());
        for (int j = 0; j < p; j++) pbar[j] += pc[j] / g.numCheckpoints();
      }
      double[][] mtx = new double[p][p];
      for (int i = 0; i < p; i++) {
        for (int j = 0; j < p; j++) mtx[i][j] = pbar[i] * (h[i][j] + (!decoupled && i == j ? wd : 0));
        if (decoupled) mtx[i][i] += wd;
      }
      double c = 0;
      for (int k = g.startStep(); k < g.endStep(); k++) c += rec.lr(k);
      double[][][] er = Oracle.expAndGain(mtx, c);
      for (int q = 0; q < v.length; q++) {
        double[] rv = Oracle.mulT(er[1], v[q]);
        for (int j = 0; j < p; j++) rv[j] *= pbar[j];
        for (int i = 0; i < n; i++) tau[q][i] += Oracle.dot(rv, gbar[i]);
        v[q] = Oracle.mulT(er[0], v[q]);
      }
    }
    return tau;
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void denseAdamSourceFollowsTheNonSymmetricFormula(boolean decoupled) {
    double wd = 0.01;
    Runs.Run run = Runs.adam(decoupled, wd);
    SourceInputs in = run.inputs();
    double[][] expected = formula(run, in, decoupled, wd);
    double err = Oracle.relErr(expected, Source.pairwise(in, DENSE).values());
    assertTrue(err < 1e-9, "relative error " + err);
    SourceInputs fast = in.fast();
    assertTrue(Oracle.relErr(formula(run, fast, decoupled, wd), Source.pairwise(fast, DENSE).values()) < 1e-9);
  }

  /**
   * Adam's self-influence (the general path: u_ℓ formed per training example, preconditioned
   * segments) equals the diagonal of the non-symmetric formula's scores with the training set asking
   * about its own training loss, the formula written out with explicit matrices.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void adamSelfInfluenceIsTheDiagonalOfTheFormulaOnTheTrainingSet(boolean decoupled) {
    double wd = 0.01;
    Runs.Run run = Runs.adam(decoupled, wd);
    SourceInputs in = run.inputs();
    SourceInputs self = in.withTask(run.task().trainAsQueries());
    double[][] expected = formula(run, self, decoupled, wd);
    double[] diagonal = new double[expected.length];
    for (int i = 0; i < diagonal.length; i++) diagonal[i] = expected[i][i];
    double err = Oracle.relErr(new double[][] {diagonal}, new double[][] {Source.selfInfluence(in, DENSE).selfValues()});
    assertTrue(err < 1e-9, "relative error " + err);
  }
}
