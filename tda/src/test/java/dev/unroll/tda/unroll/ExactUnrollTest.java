package dev.unroll.tda.unroll;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Module;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.Scores;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exact unrolling against its definition: retrain with the example's loss weight at 1 ± ε in its
 * stage (same batch order), measure f(θ_T) both times, and take the central difference; τ must equal
 * −(f(+ε) − f(−ε))/2ε (removal is weight 1 → 0), in float64.
 */
class ExactUnrollTest {
  static Dataset regression(String name, int n, long seed) {
    Rng rng = new Rng(seed);
    double[] x = new double[n * 3], y = new double[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < 3; j++) x[i * 3 + j] = rng.normal();
      y[i] = Math.sin(x[i * 3]) + 0.5 * x[i * 3 + 1] * x[i * 3 + 2] + 0.1 * rng.normal();
    }
    return new Dataset(name, Tensor.of(x, n, 3), new Targets.Regression(Tensor.of(y, n, 1)));
  }

  static final Dataset A = regression("a", 14, 11), B = regression("b", 9, 12), QUERIES = regression("q", 3, 13);
  static final DataSource DATA = DataSource.of(A, B);
  static final Measurement F = Measurement.absoluteError();

  /** Stage 1: heavy-ball momentum 0.9, weight decay, constant rate; stage 2: Nesterov, more decay, step schedule. */
  static RunConfig twoStage() {
    StageSpec s1 = new StageSpec("pretrain", DataSpec.all("a"), OptimizerSpec.sgd(0.9, 1e-2, false), LrSchedule.constant(0.05), 4, 3, false, 4, 2, null, null);
    StageSpec s2 = new StageSpec("finetune", DataSpec.all("b"), OptimizerSpec.sgd(0.8, 5e-2, true), LrSchedule.step(0.04, 0.5, 3), 3, 2, false, 2, 1, null, null);
    return RunConfig.of(ModelSpec.mlp(Activation.TANH, 3, 5, 4, 1), "mse", DType.F64, 3, List.of(s1, s2));
  }

  static double[] measure(RunConfig c, DataSource data) {
    TrainResult r = Trainer.train(c, data, TrainOptions.inMemory());
    Module m = r.model();
    return F.perExample(m.forward(QUERIES.x()), QUERIES.y()).toDoubleArray();
  }

  /** −d f(θ_T)/d wᵢ by central differences, per query. */
  static double[] finiteDifference(RunConfig c, DataSource data, int stage, int i, double eps) {
    int n = c.stage(stage).data().resolve(data).size();
    double[] plus = new double[n], minus = new double[n];
    java.util.Arrays.fill(plus, 1);
    java.util.Arrays.fill(minus, 1);
    plus[i] += eps;
    minus[i] -= eps;
    double[] fp = measure(c.withWeights(stage, plus), data), fm = measure(c.withWeights(stage, minus), data);
    double[] out = new double[fp.length];
    for (int q = 0; q < out.length; q++) out[q] = -(fp[q] - fm[q]) / (2 * eps);
    return out;
  }

  static void assertMatchesFiniteDifferences(RunConfig c, DataSource data, ExactUnroll.Result r, double tol) {
    double worst = 0, smallest = Double.MAX_VALUE, largest = 0;
    for (int s = 0; s < c.numStages(); s++) {
      Scores sc = r.stage(s);
      assertEquals(QUERIES.size(), sc.queries());
      for (int i = 0; i < sc.examples(); i++) {
        double[] fd = finiteDifference(c, data, s, i, 1e-4);
        for (int q = 0; q < fd.length; q++) {
          double err = Math.abs(sc.get(q, i) - fd[q]) / Math.max(Math.abs(fd[q]), 1e-6);
          worst = Math.max(worst, err);
          smallest = Math.min(smallest, Math.abs(fd[q]));
          largest = Math.max(largest, Math.abs(fd[q]));
          assertTrue(err <= tol, "stage " + s + " example " + i + " query " + q + ": unrolled " + sc.get(q, i) + ", finite difference " + fd[q] + " (relative error " + err + ")");
        }
      }
    }
    System.out.println("exact unroll vs finite differences: worst relative error " + worst + ", |tau| from " + smallest + " to " + largest);
  }

  @Test
  void matchesRetrainingWithWeightedExamplesThroughMomentumDecayAndTwoStages() {
    RunConfig c = twoStage();
    TrainResult run = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    ExactUnroll.Result r = ExactUnroll.scores(run.trajectory(), QUERIES, F, ExactUnroll.Options.defaults());
    assertMatchesFiniteDifferences(c, DATA, r, 1e-6);
  }

  @Test
  void matchesRetrainingThroughAdamW() {
    StageSpec s1 = new StageSpec("adam", DataSpec.all("a"), OptimizerSpec.adamW(0.9, 0.99, 1e-8, 1e-2), LrSchedule.warmup(3, LrSchedule.constant(0.01)), 5, 2, false, 3, 1, null, null);
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.TANH, 3, 5, 1), "mse", DType.F64, 4, s1);
    TrainResult run = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    ExactUnroll.Result r = ExactUnroll.scores(run.trajectory(), QUERIES, F, ExactUnroll.Options.defaults());
    assertMatchesFiniteDifferences(c, DATA, r, 1e-6);
  }

  @Test
  void weightedRunsScoreTheRemovalOfTheirWeight() {
    // With weights w, removal is wᵢ → 0; to first order τ = −wᵢ·∂f/∂wᵢ = −d f/dε at weights wᵢ·(1 + ε).
    double[] w = new double[14];
    Rng rng = new Rng(8);
    for (int i = 0; i < w.length; i++) w[i] = 0.5 + rng.uniform();
    w[2] = 0;
    StageSpec s1 = new StageSpec("w", DataSpec.all("a"), OptimizerSpec.sgd(0.9, 1e-3, false), LrSchedule.constant(0.05), 4, 2, false, 2, 1, null, w);
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.TANH, 3, 4, 1), "mse", DType.F64, 6, s1);
    Scores sc = ExactUnroll.scores(Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS)).trajectory(), QUERIES, F, ExactUnroll.Options.defaults()).stage(0);
    double eps = 1e-4;
    for (int i : new int[] {0, 2, 7}) {
      double[] plus = w.clone(), minus = w.clone();
      plus[i] *= 1 + eps;
      minus[i] *= 1 - eps;
      double[] fp = measure(c.withWeights(0, plus), DATA), fm = measure(c.withWeights(0, minus), DATA);
      for (int q = 0; q < 3; q++) {
        double fd = -(fp[q] - fm[q]) / (2 * eps);
        if (i == 2) assertEquals(0.0, sc.get(q, i));
        else assertEquals(fd, sc.get(q, i), 1e-6 * Math.abs(fd), "example " + i + " query " + q);
      }
    }
  }

  @Test
  void plainSgdEqualsTheTextbookRecursion() {
    // method.md §2 for plain SGD: v ← ∇f(θ_T); for k = T−1..0: τᵢ += (η_k/B)⟨v, ∇L(zᵢ, θ_k)⟩, v ← v − η_k H_k v;
    // here with explicit Hessians and per-example gradients of a model small enough to write them out.
    StageSpec s1 = new StageSpec("sgd", DataSpec.all("a"), OptimizerSpec.sgd(0, 0, false), LrSchedule.step(0.1, 0.7, 2), 5, 2, false, 2, 1, null, null);
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.TANH, 3, 3, 1), "mse", DType.F64, 5, s1);
    TrainResult run = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    double[][] want = Textbook.scores(run, QUERIES, F);
    Scores got = ExactUnroll.scores(run.trajectory(), QUERIES, F, ExactUnroll.Options.defaults()).stage(0);
    for (int q = 0; q < want.length; q++) {
      for (int i = 0; i < want[q].length; i++) assertEquals(want[q][i], got.get(q, i), 1e-12 * (1 + Math.abs(want[q][i])), "query " + q + " example " + i);
    }
  }

  @Test
  void float64SweepOfAFloat32RunEqualsTheTextbookRecursionOnItsStates() {
    StageSpec s1 = new StageSpec("sgd", DataSpec.all("a"), OptimizerSpec.sgd(0, 0, false), LrSchedule.step(0.1, 0.7, 2), 5, 2, false, 2, 1, null, null);
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.TANH, 3, 3, 1), "mse", DType.F32, 5, s1);
    // The oracle reads every state; the sweeps replay them from checkpoints (bit for bit the same states).
    TrainResult all = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    TrainResult run = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    int t = run.record().totalSteps();
    double[][] norms = new double[QUERIES.size()][t + 1];
    double[][] want = Textbook.scores(all, QUERIES, F, norms);
    ExactUnroll.Result r64 = ExactUnroll.scores(run.trajectory(), QUERIES, F, new ExactUnroll.Options(2, 2).withSweepType(DType.F64).withAdjointTrace());
    ExactUnroll.Result r32 = ExactUnroll.scores(run.trajectory(), QUERIES, F, ExactUnroll.Options.defaults());
    assertEquals("F64", r64.stage(0).settings().get("sweep dtype"));
    assertEquals(null, r32.adjointNorms());
    for (int q = 0; q < want.length; q++) {
      double largest = 0;
      for (double v : want[q]) largest = Math.max(largest, Math.abs(v));
      for (int i = 0; i < want[q].length; i++) {
        assertEquals(want[q][i], r64.stage(0).get(q, i), 1e-12 * (1 + Math.abs(want[q][i])), "float64 sweep, query " + q + " example " + i);
        // The float32 sweep: the same quantity up to float32 rounding over the sweep.
        assertEquals(want[q][i], r32.stage(0).get(q, i), 1e-4 * largest, "float32 sweep, query " + q + " example " + i);
      }
      for (int k = 0; k <= t; k++) assertEquals(norms[q][k], r64.adjointNorms()[q][k], 1e-12 * norms[q][k], "adjoint norm, query " + q + " step " + k);
    }
  }

  @Test
  void blocksThreadsAndReplayDoNotChangeAnyBit() {
    RunConfig c = twoStage();
    TrainResult all = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    TrainResult ck = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    ExactUnroll.Result a = ExactUnroll.scores(all.trajectory(), QUERIES, F, ExactUnroll.Options.defaults());
    ExactUnroll.Result b = ExactUnroll.scores(ck.trajectory(), QUERIES, F, new ExactUnroll.Options(1, 2));
    ExactUnroll.Result d = ExactUnroll.scores(ck.trajectory(), QUERIES, F, new ExactUnroll.Options(2, 1));
    ExactUnroll.Result e = ExactUnroll.scores(ck.trajectory(), QUERIES, F, ExactUnroll.Options.automatic(2));
    for (int s = 0; s < 2; s++) {
      for (int q = 0; q < QUERIES.size(); q++) {
        assertArrayEquals(a.stage(s).row(q), b.stage(s).row(q));
        assertArrayEquals(a.stage(s).row(q), d.stage(s).row(q));
        assertArrayEquals(a.stage(s).row(q), e.stage(s).row(q));
      }
    }
    assertThrows(IllegalStateException.class, a::combined);
  }

  @Test
  void sgdClosedFormAdjointEqualsTheGraphOfTheUpdate() {
    RunConfig c = twoStage();
    TrainResult run = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    ExactUnroll.Result fast = ExactUnroll.scores(run.trajectory(), QUERIES, F, ExactUnroll.Options.defaults(), ExactUnroll.Route.PER_QUERY);
    ExactUnroll.Result graph = ExactUnroll.scores(run.trajectory(), QUERIES, F, ExactUnroll.Options.defaults(), ExactUnroll.Route.GRAPH);
    for (int s = 0; s < 2; s++) {
      for (int q = 0; q < QUERIES.size(); q++) {
        for (int i = 0; i < fast.stage(s).examples(); i++) {
          double a = fast.stage(s).get(q, i), b = graph.stage(s).get(q, i);
          assertEquals(b, a, 1e-12 * Math.abs(b), "stage " + s + " query " + q + " example " + i);
        }
      }
    }
  }

  /** Classification (ReLU, cross-entropy, margin, momentum): SGD's closed-form adjoint against the graph of the update, in blocks of 3 queries. */
  @Test
  void sgdClosedFormAdjointEqualsTheGraphForCrossEntropy() {
    Rng rng = new Rng(21);
    int n = 12, nq = 5;
    double[] x = new double[(n + nq) * 3];
    int[] labels = new int[n + nq];
    for (int i = 0; i < n + nq; i++) {
      for (int j = 0; j < 3; j++) x[i * 3 + j] = rng.normal();
      labels[i] = (x[i * 3] + x[i * 3 + 1] > 0 ? 1 : 0) + (x[i * 3 + 2] > 0.5 ? 1 : 0);
    }
    Dataset all = new Dataset("c", Tensor.of(x, n + nq, 3), new Targets.Classes(labels, 3));
    int[] tr = new int[n], qs = new int[nq];
    for (int i = 0; i < n; i++) tr[i] = i;
    for (int i = 0; i < nq; i++) qs[i] = n + i;
    Dataset train = all.subset(tr).withName("ctrain"), queries = all.subset(qs).withName("cq");
    StageSpec s1 = new StageSpec("sgd", DataSpec.all("ctrain"), OptimizerSpec.sgd(0.9, 1e-3, false), LrSchedule.constant(0.1), 4, 3, false, 3, 1, null, null);
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.RELU, 3, 6, 5, 3), "cross_entropy", DType.F64, 8, s1);
    TrainResult run = Trainer.train(c, DataSource.of(train), TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    Measurement margin = new dev.unroll.nn.Margin();
    Scores fast = ExactUnroll.scores(run.trajectory(), queries, margin, new ExactUnroll.Options(3, 1), ExactUnroll.Route.PER_QUERY).stage(0);
    Scores graph = ExactUnroll.scores(run.trajectory(), queries, margin, ExactUnroll.Options.defaults(), ExactUnroll.Route.GRAPH).stage(0);
    Scores batched = ExactUnroll.scores(run.trajectory(), queries, margin, new ExactUnroll.Options(3, 2), ExactUnroll.Route.BEST).stage(0);
    double scale = 0;
    for (double[] r : graph.values()) for (double v : r) scale = Math.max(scale, Math.abs(v));
    assertTrue(scale > 0);
    for (int q = 0; q < nq; q++) {
      for (int i = 0; i < n; i++) {
        assertEquals(graph.get(q, i), fast.get(q, i), 1e-12 * scale, "query " + q + " example " + i);
        assertEquals(graph.get(q, i), batched.get(q, i), 1e-12 * scale, "batched: query " + q + " example " + i);
      }
    }
  }

  /**
   * The batched sweep shares each step's queries among the threads, each query wholly on one: the
   * scores are the same bits on one thread or two, in one block or in blocks of 2 (float64 and float32).
   */
  @Test
  void batchedSweepIsBitIdenticalAcrossThreadsAndBlocks() {
    for (DType dt : new DType[] {DType.F64, DType.F32}) {
      RunConfig c = twoStage();
      c = RunConfig.of(c.model(), "mse", dt, 3, c.stages());
      TrainResult run = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
      ExactUnroll.Result one = ExactUnroll.scores(run.trajectory(), QUERIES, F, new ExactUnroll.Options(0, 1), ExactUnroll.Route.BEST);
      for (ExactUnroll.Options o : List.of(new ExactUnroll.Options(0, 2), new ExactUnroll.Options(2, 2))) {
        ExactUnroll.Result other = ExactUnroll.scores(run.trajectory(), QUERIES, F, o, ExactUnroll.Route.BEST);
        for (int s = 0; s < 2; s++) {
          for (int q = 0; q < QUERIES.size(); q++) {
            assertArrayEquals(one.stage(s).values()[q], other.stage(s).values()[q], dt + " " + o + " stage " + s + " query " + q);
          }
        }
      }
    }
  }

  /**
   * The batched sweep for MLPs against the per-query sweep: two stages (heavy ball, then Nesterov with
   * a step schedule), weight decay, a weighted first stage with weights 0 and 2, blocks of 2 queries on
   * 2 threads, and the traced adjoint norms; in float64 and with a float32 run swept in float32.
   */
  @Test
  void batchedSweepEqualsThePerQuerySweep() {
    double[] w = new double[14];
    java.util.Arrays.fill(w, 1);
    w[3] = 0;
    w[8] = 2;
    for (DType dt : new DType[] {DType.F64, DType.F32}) {
      RunConfig c = twoStage().withWeights(0, w);
      c = RunConfig.of(c.model(), "mse", dt, 3, c.stages());
      TrainResult run = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
      ExactUnroll.Options o = new ExactUnroll.Options(2, 2).withAdjointTrace();
      ExactUnroll.Result batched = ExactUnroll.scores(run.trajectory(), QUERIES, F, o, ExactUnroll.Route.BEST);
      ExactUnroll.Result perQuery = ExactUnroll.scores(run.trajectory(), QUERIES, F, o, ExactUnroll.Route.PER_QUERY);
      double tol = dt == DType.F64 ? 1e-12 : 2e-5;
      for (int s = 0; s < 2; s++) {
        double scale = 0;
        for (double[] r : perQuery.stage(s).values()) for (double v : r) scale = Math.max(scale, Math.abs(v));
        assertTrue(scale > 0);
        for (int q = 0; q < QUERIES.size(); q++) {
          for (int i = 0; i < perQuery.stage(s).examples(); i++) {
            assertEquals(perQuery.stage(s).get(q, i), batched.stage(s).get(q, i), tol * scale, dt + " stage " + s + " query " + q + " example " + i);
          }
        }
      }
      assertEquals(0, batched.stage(0).get(1, 3), "an example of weight 0 scores 0");
      for (int q = 0; q < QUERIES.size(); q++) {
        for (int k = 0; k < perQuery.adjointNorms()[q].length; k++) {
          double a = perQuery.adjointNorms()[q][k];
          assertEquals(a, batched.adjointNorms()[q][k], tol * a, dt + " adjoint norm, query " + q + " step " + k);
        }
      }
    }
  }

  @Test
  void combinedSumsStagesOnTheSameData() {
    RunConfig c = twoStage().withData(1, DataSpec.all("a"));
    TrainResult run = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    ExactUnroll.Result r = ExactUnroll.scores(run.trajectory(), QUERIES, F, ExactUnroll.Options.defaults());
    Scores all = r.combined();
    assertEquals(r.stage(0).get(1, 5) + r.stage(1).get(1, 5), all.get(1, 5));
    // Removing the example from both stages: weight it by 1 ± ε in both.
    double eps = 1e-4;
    double[] plus = new double[14], minus = new double[14];
    java.util.Arrays.fill(plus, 1);
    java.util.Arrays.fill(minus, 1);
    plus[5] += eps;
    minus[5] -= eps;
    double[] fp = measure(c.withWeights(0, plus).withWeights(1, plus), DATA), fm = measure(c.withWeights(0, minus).withWeights(1, minus), DATA);
    for (int q = 0; q < 3; q++) {
      double fd = -(fp[q] - fm[q]) / (2 * eps);
      assertEquals(fd, all.get(q, 5), 1e-6 * Math.abs(fd));
    }
  }

  /**
   * Self-influence against its definition: τ(z_m, z_m) = −d L(z_m, θ_T)/d w_m with w_m z_m's loss
   * weight in both stages, by central differences of retraining (the measurement being each
   * example's own training loss); chunks of queries, blocks and threads leave every bit as it is.
   */
  @Test
  void selfInfluenceIsMinusTheDerivativeOfEachExamplesOwnLossUnderRetraining() {
    RunConfig c = twoStage().withData(1, DataSpec.all("a"));
    TrainResult run = Trainer.train(c, DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    Scores self = ExactUnroll.selfInfluence(run.trajectory(), ExactUnroll.Options.defaults());
    assertTrue(self.isSelfInfluence());
    double[] got = self.selfValues();
    assertEquals(A.size(), got.length);
    assertArrayEquals(got, ExactUnroll.selfInfluence(run.trajectory(), new ExactUnroll.Options(2, 2), 5).selfValues());
    Measurement own = Measurement.loss(c.lossFunction());
    double eps = 1e-4;
    for (int m = 0; m < A.size(); m++) {
      double[] plus = new double[A.size()], minus = new double[A.size()];
      java.util.Arrays.fill(plus, 1);
      java.util.Arrays.fill(minus, 1);
      plus[m] += eps;
      minus[m] -= eps;
      double fp = ownLoss(c.withWeights(0, plus).withWeights(1, plus), own, m), fm = ownLoss(c.withWeights(0, minus).withWeights(1, minus), own, m);
      double fd = -(fp - fm) / (2 * eps);
      assertEquals(fd, got[m], 1e-6 * Math.max(Math.abs(fd), 1e-6), "example " + m);
    }
  }

  /** L(z_m, θ_T) of the run trained with config {@code c}. */
  private static double ownLoss(RunConfig c, Measurement own, int m) {
    Module model = Trainer.train(c, DATA, TrainOptions.inMemory()).model();
    return own.perExample(model.forward(A.x()), A.y()).toDoubleArray()[m];
  }

  @Test
  void selfInfluenceRefusesStagesOnDifferentData() {
    TrainResult run = Trainer.train(twoStage(), DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ExactUnroll.selfInfluence(run.trajectory(), ExactUnroll.Options.defaults()));
    assertTrue(e.getMessage().contains("pretrain") && e.getMessage().contains("finetune"), e.getMessage());
  }
}
