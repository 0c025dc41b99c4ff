package dev.unroll.tda.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Module;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.tda.unroll.ExactUnroll;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.train.RunRecord;
import dev.unroll.optim.train.Segment;
import dev.unroll.optim.train.Trajectory;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Scores;
import dev.unroll.tda.TracIn;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.methods.ScoreOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * SOURCE on recorded multi-stage runs of the trainer, against its formula evaluated independently
 * (explicit Hessians and per-example gradients at the stored snapshots, matrix exponentials by
 * Taylor series, stage data and learning rates from the run record).
 */
class SourceRunTest {
  static final SourceOptions DENSE = new SourceOptions(SourceOptions.Curvature.HESSIAN, SourceOptions.Form.EXPONENTIAL, FitOptions.defaults().withBatchSize(4), new ScoreOptions(4, 2, 0));
  static final int[][] STAGES = {Runs.STAGE_A, Runs.STAGE_B};

  /**
   * τ(q, m) = Σ_ℓ (N/N_s) qᵀ Ē_L ⋯ Ē_{ℓ+1} R_ℓ ḡ_ℓ(m), Ē = exp(−c(H̄ + λ)), R = ∫₀^c exp(−t(H̄ + λ))dt, with
   * ḡ_ℓ(m) = 0 for m outside the segment's stage; each stage's H̄ on its own data.
   *
   * @param fast evaluate H̄ and ḡ at the mean of the segment's checkpoint parameters instead
   */
  static double[][] formula(Runs.Run run, boolean fast, double[] lrScale, double[] wd) {
    Trajectory tr = run.trajectory();
    RunRecord rec = tr.record();
    AttributionTask task = run.task();
    Module model = task.model();
    Dataset d = task.train();
    int n = d.size();
    double[][] v = Oracle.measurementGradients(model, task.measurement(), task.queries(), Oracle.flat(model, tr.at(rec.totalSteps()).parameterList()));
    double[][] tau = new double[v.length][n];
    List<Segment> segs = rec.segments();
    for (int l = segs.size() - 1; l >= 0; l--) {
      Segment g = segs.get(l);
      int s = g.stage();
      Dataset sd = d.subset(STAGES[s]);
      List<double[]> thetas = new ArrayList<>();
      for (int c : g.checkpointSteps()) thetas.add(Oracle.flat(model, tr.at(c).parameterList()));
      if (fast) {
        double[] mean = new double[thetas.get(0).length];
        for (double[] t : thetas) for (int j = 0; j < mean.length; j++) mean[j] += t[j] / thetas.size();
        thetas = List.of(mean);
      }
      int p = thetas.get(0).length;
      double[][] h = new double[p][p], gbar = new double[sd.size()][p];
      for (double[] th : thetas) {
        h = Oracle.add(h, Oracle.hessian(model, task.loss(), sd, th), 1.0 / thetas.size());
        gbar = Oracle.add(gbar, Oracle.lossGradients(model, task.loss(), sd, th), 1.0 / thetas.size());
      }
      for (int i = 0; i < p; i++) h[i][i] += wd[s];
      double c = 0;
      for (int k = g.startStep(); k < g.endStep(); k++) c += rec.lr(k);
      double[][][] er = Oracle.expAndGain(h, c * lrScale[s]);
      for (int q = 0; q < v.length; q++) {
        double[] rv = Oracle.mulT(er[1], v[q]);
        for (int i = 0; i < sd.size(); i++) tau[q][STAGES[s][i]] += n / (double) sd.size() * Oracle.dot(rv, gbar[i]);
        v[q] = Oracle.mulT(er[0], v[q]);
      }
    }
    return tau;
  }

  @Test
  void multiStageScoresFollowTheFormulaWithEachStagesCurvatureAndPropagation() {
    Runs.Run run = Runs.twoStage(0);
    SourceInputs in = run.inputs();
    assertEquals(4, in.segments().size());
    assertEquals(2, in.stages().size());
    assertEquals(List.of(0, 0, 1, 1), in.segments().stream().map(SourceSegment::stage).toList());
    Scores s = Source.pairwise(in, DENSE);
    double err = Oracle.relErr(formula(run, false, new double[] {1, 1}, new double[] {0, 0.01}), s.values());
    assertTrue(err < 1e-9, "relative error " + err);
    assertEquals(1.0 / 11, s.effectScale());
  }

  @Test
  void fastSourceEvaluatesEachSegmentAtItsMeanParameters() {
    Runs.Run run = Runs.twoStage(0);
    SourceInputs fast = run.inputs().fast();
    for (SourceSegment g : fast.segments()) assertEquals(1, g.numCheckpoints());
    Scores s = Source.pairwise(fast, DENSE);
    assertEquals("fast-source/hessian", s.method());
    double err = Oracle.relErr(formula(run, true, new double[] {1, 1}, new double[] {0, 0.01}), s.values());
    assertTrue(err < 1e-9, "relative error " + err);
  }

  @Test
  void aPointAbsentFromAStageGetsNoContributionFromItsSegments() {
    Runs.Run run = Runs.twoStage(0);
    SourceInputs in = run.inputs();
    SourceInputs onlyA = in.withSegments(in.segments().subList(0, 2));
    SourceInputs onlyB = in.withSegments(in.segments().subList(2, 4));
    double[][] a = Source.pairwise(onlyA, DENSE).values(), b = Source.pairwise(onlyB, DENSE).values();
    for (int q = 0; q < a.length; q++) {
      for (int m = 7; m <= 10; m++) assertEquals(0.0, a[q][m], "stage a's segments scored example " + m + ", which only stage b trains on");
      for (int m = 0; m <= 2; m++) assertEquals(0.0, b[q][m], "stage b's segments scored example " + m + ", which only stage a trains on");
      for (int m = 3; m <= 6; m++) assertTrue(a[q][m] != 0 && b[q][m] != 0);
    }
  }

  @Test
  void momentumScalesTheLearningTimeByOneOverOneMinusBeta() {
    Runs.Run run = Runs.twoStage(0.9);
    SourceInputs in = run.inputs();
    RunRecord rec = run.trajectory().record();
    for (SourceSegment g : in.segments()) {
      double sum = 0;
      for (int k = g.startStep(); k < g.endStep(); k++) sum += rec.lr(k);
      assertEquals(g.stage() == 0 ? sum / (1 - 0.9) : sum, g.c(), 1e-12);
    }
    double err = Oracle.relErr(formula(run, false, new double[] {1 / (1 - 0.9), 1}, new double[] {0, 0.01}), Source.pairwise(in, DENSE).values());
    assertTrue(err < 1e-9, "relative error " + err);
  }

  /**
   * SOURCE's scores and self-influence with every curvature do not depend on the batch sizes of the
   * fit and the scoring passes nor on query chunks (batches of 3 and 5 that divide neither stage).
   */
  @ParameterizedTest
  @EnumSource(value = SourceOptions.Curvature.class)
  void scoresDoNotDependOnBatchSizesOrQueryChunks(SourceOptions.Curvature curvature) {
    SourceInputs in = Runs.twoStage(0.9).inputs();
    SourceOptions a = DENSE.withCurvature(curvature).withFit(FitOptions.of(FisherType.EXPECTED).withBatchSize(64)).withScore(new ScoreOptions(64, 64, 0));
    SourceOptions b = a.withFit(FitOptions.of(FisherType.EXPECTED).withBatchSize(3)).withScore(new ScoreOptions(5, 2, 2));
    double err = Oracle.relErr(Source.pairwise(in, a).values(), Source.pairwise(in, b).values());
    assertTrue(err < 1e-12, curvature + ": relative error " + err);
    double self = Oracle.relErr(Source.selfInfluence(in, a).values(), Source.selfInfluence(in, b).values());
    assertTrue(self < 1e-12, curvature + " self-influence: relative error " + self);
  }

  @ParameterizedTest
  @EnumSource(value = SourceOptions.Curvature.class)
  void selfInfluenceIsTheDiagonalOfThePairwiseScoresOnTheTrainingSet(SourceOptions.Curvature curvature) {
    Runs.Run run = Runs.twoStage(0.9);
    SourceOptions o = DENSE.withCurvature(curvature).withFit(FitOptions.of(FisherType.EXPECTED).withBatchSize(4));
    SourceInputs in = run.inputs();
    Source src = Source.fit(in, o);
    Scores self = src.selfInfluence();
    Scores pairs = Source.fit(in.withTask(run.task().trainAsQueries()), o).pairwise();
    assertTrue(self.isSelfInfluence());
    double err = Oracle.relErr(new double[][] {pairs.selfValues()}, new double[][] {self.selfValues()});
    assertTrue(err < 1e-11, curvature + ": relative error " + err);
    // Fast-Source too.
    Scores fastSelf = Source.selfInfluence(in.fast(), o);
    Scores fastPairs = Source.pairwise(in.fast().withTask(run.task().trainAsQueries()), o);
    assertTrue(Oracle.relErr(new double[][] {fastPairs.selfValues()}, new double[][] {fastSelf.selfValues()}) < 1e-11);
  }

  /**
   * The eigenbasis self-influence (rank-one factors, one change of basis per segment boundary)
   * against the materialised computation it replaces: u_ℓ = r̄_ℓᵀ S̄_{ℓ+1}ᵀ ⋯ S̄_Lᵀ ∇L(z, θ_T) formed
   * for every training example in parameter coordinates ({@link Source#segmentVectors}) and dotted
   * with each checkpoint's per-example gradients, on a two-stage run (four segments, two stages
   * with their own examples). Adam's preconditioned segments keep the general path.
   */
  @ParameterizedTest
  @EnumSource(value = SourceOptions.Curvature.class, names = {"EKFAC", "KFAC"})
  void eigenbasisSelfInfluenceEqualsTheMaterialisedSegmentVectors(SourceOptions.Curvature curvature) {
    Runs.Run run = Runs.twoStage(0.9);
    SourceOptions o = DENSE.withCurvature(curvature).withFit(FitOptions.of(FisherType.EXPECTED).withBatchSize(4)).withScore(new ScoreOptions(3, 2, 0));
    SourceInputs in = run.inputs();
    Source src = Source.fit(in, o);
    assertTrue(src.segments().size() >= 3, "the run should have several segment boundaries");
    assertTrue(EigenbasisSelfInfluence.of(src) != null, "an SGD run of an MLP takes the eigenbasis path");
    AttributionTask t = in.task();
    int n = t.numTrain();
    double[] want = new double[n];
    List<dev.unroll.autodiff.Tensor> u = src.segmentVectors(dev.unroll.tda.grad.Gradients.training(t, in.finalParameters(), Oracle.all(n)));
    for (int l = 0; l < src.segments().size(); l++) {
      SourceSegment seg = src.segments().get(l).segment();
      SourceStage st = in.stages().get(seg.stage());
      double[] ul = u.get(l).toDoubleArray();
      int pd = t.layout().size();
      for (SourceCheckpoint c : seg.checkpoints()) {
        double[] g = dev.unroll.tda.grad.Gradients.training(in.stageTask(seg.stage()), c.parameters(), Oracle.all(st.size())).toDoubleArray();
        for (int i = 0; i < st.size(); i++) {
          int m = st.column(i);
          double d = 0;
          for (int j = 0; j < pd; j++) d += ul[m * pd + j] * g[i * pd + j];
          want[m] += in.stageWeight(seg.stage()) / seg.numCheckpoints() * d;
        }
      }
    }
    double err = Oracle.relErr(new double[][] {want}, new double[][] {src.selfInfluence().selfValues()});
    assertTrue(err < 1e-10, curvature + ": relative error " + err);
    Source adam = Source.fit(Runs.adam(false, 1e-2).inputs(), SourceOptions.defaults().withFit(FitOptions.defaults().withBatchSize(4)));
    assertTrue(EigenbasisSelfInfluence.of(adam) == null, "preconditioned segments keep the general path");
  }

  @Test
  void tracInSumsLearningRateWeightedGradientDotsOverTheCheckpointsOfEachStage() {
    Runs.Run run = Runs.twoStage(0.9);
    SourceInputs in = run.inputs();
    Trajectory tr = run.trajectory();
    RunRecord rec = tr.record();
    AttributionTask task = run.task();
    Module model = task.model();
    for (TracIn.Weighting w : TracIn.Weighting.values()) {
      double[][] expected = new double[3][11];
      for (Segment g : rec.segments()) {
        int s = g.stage();
        Dataset sd = task.train().subset(STAGES[s]);
        double lrSum = 0;
        for (int k = g.startStep(); k < g.endStep(); k++) lrSum += rec.lr(k);
        for (int c : g.checkpointSteps()) {
          double[] th = Oracle.flat(model, tr.at(c).parameterList());
          double eta = w == TracIn.Weighting.STEP_LR ? rec.lr(c - 1)
              : lrSum * (s == 0 ? 10 : 1) / g.checkpointSteps().length * 11.0 / sd.size();
          double[][] qg = Oracle.measurementGradients(model, task.measurement(), task.queries(), th);
          double[][] tg = Oracle.lossGradients(model, task.loss(), sd, th);
          for (int q = 0; q < 3; q++) for (int i = 0; i < sd.size(); i++) expected[q][STAGES[s][i]] += eta * Oracle.dot(qg[q], tg[i]);
        }
      }
      Scores t = TracIn.pairwise(in, w, new ScoreOptions(4, 2, 1));
      assertTrue(Oracle.relErr(expected, t.values()) < 1e-12, w + ": relative error " + Oracle.relErr(expected, t.values()));
      double[] expectedSelf = new double[11];
      for (Segment g : rec.segments()) {
        int s = g.stage();
        Dataset sd = task.train().subset(STAGES[s]);
        double lrSum = 0;
        for (int k = g.startStep(); k < g.endStep(); k++) lrSum += rec.lr(k);
        for (int c : g.checkpointSteps()) {
          double eta = w == TracIn.Weighting.STEP_LR ? rec.lr(c - 1) : lrSum * (s == 0 ? 10 : 1) / g.checkpointSteps().length * 11.0 / sd.size();
          double[][] tg = Oracle.lossGradients(model, task.loss(), sd, Oracle.flat(model, tr.at(c).parameterList()));
          for (int i = 0; i < sd.size(); i++) expectedSelf[STAGES[s][i]] += eta * Oracle.dot(tg[i], tg[i]);
        }
      }
      Scores self = TracIn.selfInfluence(in, w, ScoreOptions.defaults());
      assertTrue(Oracle.relErr(new double[][] {expectedSelf}, new double[][] {self.selfValues()}) < 1e-12, w + ": self-influence against the per-example gradients");
      Scores diag = TracIn.pairwise(in.withTask(task.trainAsQueries()), w, ScoreOptions.defaults());
      assertTrue(Oracle.relErr(new double[][] {diag.selfValues()}, new double[][] {self.selfValues()}) < 1e-12);
      assertEquals(w == TracIn.Weighting.LEARNING_TIME, !Double.isNaN(t.effectScale()));
    }
  }

  /**
   * Cross-check with the trainer's exact unrolling ({@link ExactUnroll}) on a full-batch run with a
   * step schedule and weight decay: SOURCE with exact Hessians, one step per segment (checkpoint at
   * the step's own θ_k) and the power form predicts the same changes of f.
   */
  @Test
  void onAFullBatchRunOneStepSegmentsInThePowerFormAgreeWithTheTrainersExactUnrolling() {
    Dataset d = Runs.data("d", 7, 2, 31);
    int steps = 6;
    StageSpec st = new StageSpec("gd", DataSpec.all("d"), OptimizerSpec.sgd(0, 0.01, false), LrSchedule.step(0.3, 0.7, 2), 7, steps, false, steps, steps, null, null);
    Runs.Run run = Runs.run(RunConfig.of(ModelSpec.mlp(Activation.TANH, 2, 3, 1), "mse", DType.F64, 3, st), d);
    Trajectory tr = run.trajectory();
    RunRecord rec = tr.record();
    AttributionTask task = run.task();
    SourceStage stage = new SourceStage("gd", d, SourceStage.identity(7), StageDynamics.sgd(0, 0.01));
    List<SourceSegment> segs = new ArrayList<>();
    for (int k = 0; k < steps; k++) segs.add(new SourceSegment(0, k, k + 1, rec.lr(k), 1, List.of(SourceCheckpoint.of(k, tr.at(k).parameterList(), Double.NaN))));
    SourceInputs in = new SourceInputs(task, List.of(stage), segs, tr.at(steps).parameterList());
    double[][] source = Source.pairwise(in, DENSE.withForm(SourceOptions.Form.POWER)).predictedEffects();
    double[][] exact = ExactUnroll.scores(tr, task.queries(), task.measurement(), ExactUnroll.Options.defaults()).stage(0).values();
    double err = Oracle.relErr(exact, source);
    assertTrue(err < 1e-9, "relative error " + err);
  }

  @Test
  void inputsRefuseColumnsThatDoNotMatchTheRunsData() {
    Runs.Run run = Runs.twoStage(0);
    int[][] wrong = {Runs.STAGE_B.clone(), Runs.STAGE_A.clone()};
    wrong[0] = java.util.Arrays.copyOf(Runs.STAGE_A, Runs.STAGE_A.length);
    wrong[0][0] = 10;
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SourceInputs.of(run.trajectory(), run.task(), new int[][] {wrong[0], Runs.STAGE_B}));
    assertTrue(e.getMessage().contains("column 10"), e.getMessage());
  }
}
