package dev.unroll.experiments.paper;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

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
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.AttributionTask;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * TRAK's ensemble members ({@link MethodCatalog#halfModels}) against retraining: a member depends on
 * the training points of its half and on no other. Changing one point's target and training the
 * members again shows which members saw it; each must have seen exactly half of the points, the
 * members' halves must differ, and a member must come out bit-identical when only points outside its
 * half changed.
 */
class HalfModelsTest {
  private static final int N = 12, MEMBERS = 3;

  private static Dataset data(String name, int n, long seed, int changed) {
    Rng r = new Rng(seed);
    double[] x = new double[n * 2], y = new double[n];
    for (int i = 0; i < n; i++) {
      x[2 * i] = r.normal();
      x[2 * i + 1] = r.normal();
      y[i] = x[2 * i] - x[2 * i + 1] + 0.1 * r.normal() + (i == changed ? 3 : 0);
    }
    return new Dataset(name, Tensor.of(x, n, 2), new Targets.Regression(Tensor.of(y, n, 1)));
  }

  private static List<double[]> members(Context c, Dataset train, Dataset queries) {
    List<double[]> out = new ArrayList<>();
    for (List<Tensor> params : MethodCatalog.halfModels(c, MEMBERS, DataSource.of(train, queries))) {
      List<Double> flat = new ArrayList<>();
      for (Tensor p : params) for (double v : p.toDoubleArray()) flat.add(v);
      out.add(flat.stream().mapToDouble(Double::doubleValue).toArray());
    }
    return out;
  }

  @Test
  void eachMemberDependsOnExactlyHalfTheTrainingPoints() {
    Dataset train = data("u", N, 1, -1), queries = data("q", 3, 2, -1);
    StageSpec stage = StageSpec.of("train", DataSpec.all("u"), OptimizerSpec.sgd(0.9, 1e-3, false), LrSchedule.constant(0.05), 2, 3);
    RunConfig cfg = RunConfig.of(ModelSpec.mlp(Activation.TANH, 2, 4, 1), "mse", DType.F64, 5, stage);
    TrainResult run = Trainer.train(cfg, DataSource.of(train, queries), TrainOptions.inMemory());
    AttributionTask task = new AttributionTask(run.model(), cfg.lossFunction(), new AbsoluteError(), train, queries);
    Context c = new Context(null, run, task, new AbsoluteError(), train, queries, null, null, 1, null);

    List<double[]> base = members(c, train, queries);
    assertEquals(MEMBERS, base.size());
    List<double[]> again = members(c, train, queries);
    for (int i = 0; i < MEMBERS; i++) assertArrayEquals(base.get(i), again.get(i), 0, "member " + i + " is reproducible bit for bit");

    List<Set<Integer>> seen = new ArrayList<>();
    for (int i = 0; i < MEMBERS; i++) seen.add(new HashSet<>());
    for (int m = 0; m < N; m++) {
      List<double[]> changed = members(c, data("u", N, 1, m), queries);
      for (int i = 0; i < MEMBERS; i++) {
        boolean same = java.util.Arrays.equals(base.get(i), changed.get(i));
        if (!same) seen.get(i).add(m);
      }
    }
    for (int i = 0; i < MEMBERS; i++) assertEquals(N / 2, seen.get(i).size(), "member " + i + " trained on " + seen.get(i));
    for (int i = 0; i < MEMBERS; i++) for (int j = i + 1; j < MEMBERS; j++) assertNotEquals(seen.get(i), seen.get(j), "members " + i + " and " + j + " share their half");
  }
}
