package dev.unroll.experiments.paper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.AbsoluteError;
import dev.unroll.nn.Activation;
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
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.unroll.ExactUnroll;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exact unrolling across stages in union columns, against {@link ExactUnroll}'s own per-stage
 * scores: stages over the same rows sum as {@link ExactUnroll.Result#combined()} does; stages over
 * disjoint rows put each stage's scores in its rows' columns and 0 elsewhere.
 */
class ExactAcrossStagesTest {
  private static final int N = 8;

  private static Dataset data(String name, int n, long seed) {
    Rng r = new Rng(seed);
    double[] x = new double[n * 2], y = new double[n];
    for (int i = 0; i < n; i++) {
      x[2 * i] = r.normal();
      x[2 * i + 1] = r.normal();
      y[i] = x[2 * i] - x[2 * i + 1] + 0.1 * r.normal();
    }
    return new Dataset(name, Tensor.of(x, n, 2), new Targets.Regression(Tensor.of(y, n, 1)));
  }

  private static StageSpec stage(String name, int[] rows) {
    return StageSpec.of(name, DataSpec.subset("u", rows), OptimizerSpec.sgd(0.9, 1e-3, false), LrSchedule.constant(0.05), 2, 2).withCheckpoints(2, 1);
  }

  private static Context context(RunConfig cfg, Dataset train, Dataset queries) {
    TrainResult run = Trainer.train(cfg, DataSource.of(train, queries), TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    AttributionTask task = new AttributionTask(run.model(), cfg.lossFunction(), new AbsoluteError(), train, queries);
    return new Context(null, run, task, new AbsoluteError(), train, queries, null, null, 1, null);
  }

  @Test
  void stagesOverTheSameRowsSumAsCombined() {
    Dataset train = data("u", N, 1), queries = data("q", 3, 2);
    int[] all = {0, 1, 2, 3, 4, 5, 6, 7};
    RunConfig cfg = RunConfig.of(ModelSpec.mlp(Activation.TANH, 2, 4, 1), "mse", DType.F64, 5, List.of(stage("a", all), stage("b", all)));
    Context c = context(cfg, train, queries);
    ExactUnroll.Result r = ExactUnroll.scores(c.run().trajectory(), queries, c.measurement(), ExactUnroll.Options.defaults());
    double[][] union = ExactAcrossStages.inUnion(r, c).values(), combined = r.combined().values();
    for (int q = 0; q < 3; q++) assertArrayEquals(combined[q], union[q], 1e-15);
  }

  @Test
  void disjointStagesFillTheirOwnColumns() {
    Dataset train = data("u", N, 1), queries = data("q", 3, 2);
    int[] first = {0, 2, 4}, second = {1, 3, 5, 7};
    RunConfig cfg = RunConfig.of(ModelSpec.mlp(Activation.TANH, 2, 4, 1), "mse", DType.F64, 5, List.of(stage("a", first), stage("b", second)));
    Context c = context(cfg, train, queries);
    ExactUnroll.Result r = ExactUnroll.scores(c.run().trajectory(), queries, c.measurement(), ExactUnroll.Options.defaults());
    double[][] u = ExactAcrossStages.inUnion(r, c).values();
    for (int q = 0; q < 3; q++) {
      for (int i = 0; i < first.length; i++) assertEquals(r.stage(0).values()[q][i], u[q][first[i]]);
      for (int i = 0; i < second.length; i++) assertEquals(r.stage(1).values()[q][i], u[q][second[i]]);
      assertEquals(0.0, u[q][6], "row 6 is in no stage");
    }
  }
}
