package dev.unroll.tda.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Splits;
import dev.unroll.nn.data.Standardizer;
import dev.unroll.nn.data.TrainTest;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.Trainer;
import dev.unroll.optim.train.Trajectory;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Fixtures;
import dev.unroll.tda.Scores;
import dev.unroll.tda.TracIn;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.grad.Gradients;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.unroll.ExactUnroll;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The Concrete setting of the paper (method.md §7), as in the trainer's ConcreteUnrollTiming: MLP
 * 8-128-128-128-1 (ReLU), 896 training examples and 103 queries (seeded split, inputs and targets
 * standardised on the training part), SGD with momentum 0.9, η = 3e-2, weight decay 1e-5, batches
 * of 32, 20 epochs (560 steps), L = 3 segments and C = 6 checkpoints, f = absolute error. Scores
 * SOURCE (EK-FAC, true Fisher with one sampled label), Fast-Source, TracIn and EK-FAC influence at
 * θ_T (damping 1/(ηT/(1−β))), prints wall-clock and process CPU times, and compares each method's
 * predicted effects with exact unrolling of the run (mean per-query Pearson and Spearman, and the
 * least-squares scale of the method's effects on the exact ones).
 *
 * <p>Not a unit test (it measures, and takes minutes): runs only with {@code -Dunroll.concrete=true},
 * e.g. {@code mvn -pl tda -am test -Dtest=ConcreteSourceCheck -Dsurefire.failIfNoSpecifiedTests=false
 * -Dunroll.concrete=true} (dtype from {@code -Dunroll.concrete.dtype=float32|float64}, default float64;
 * {@code -Dunroll.concrete.exact=false} skips exact unrolling).
 */
@EnabledIfSystemProperty(named = "unroll.concrete", matches = "true")
class ConcreteSourceCheck {
  @Test
  void concrete() {
    String dtypeName = System.getProperty("unroll.concrete.dtype", "float64");
    DType dtype = dtypeName.equals("float32") ? DType.F32 : DType.F64;
    TrainTest split = Splits.split(DataSets.concrete(), 896, 103, 0);
    Standardizer sx = Standardizer.fitInputs(split.train()), sy = Standardizer.fitTargets(split.train());
    Dataset train = sy.transformTargets(sx.transformInputs(split.train())).withName("concrete-train");
    Dataset queries = sy.transformTargets(sx.transformInputs(split.test())).withName("concrete-test");
    StageSpec stage = StageSpec.of("train", DataSpec.all("concrete-train"), OptimizerSpec.sgd(0.9, 1e-5, false), LrSchedule.constant(3e-2), 32, 20);
    RunConfig cfg = RunConfig.of(ModelSpec.mlp(Activation.RELU, 8, 128, 128, 128, 1), "mse", dtype, 0, stage);
    Trajectory run = timed("training (560 steps)", () -> Trainer.train(cfg, DataSource.of(train), TrainOptions.inMemory().keep(Keep.CHECKPOINTS)).trajectory());
    AttributionTask task = new AttributionTask(run.newModel(), new MseLoss(), Measurement.absoluteError(), train.to(dtype), queries.to(dtype));
    SourceInputs in = SourceInputs.of(run, task);
    assertEquals(3, in.segments().size());
    assertEquals(6, in.segments().stream().mapToInt(SourceSegment::numCheckpoints).sum());
    SourceOptions o = SourceOptions.defaults().withFit(FitOptions.defaults().withBatchSize(128)).withScore(new ScoreOptions(128, 128, 0));

    Source src = timed("SOURCE fit (3 segments, 6 checkpoints, EK-FAC)", () -> Source.fit(in, o));
    Tensor qg = timed("query gradients at θ_T", () -> Gradients.queries(task, in.finalParameters(), 128));
    timed("SOURCE segment vectors u_ℓ (3 segments)", () -> src.segmentVectors(qg));
    Map<String, Scores> m = new LinkedHashMap<>();
    m.put("SOURCE", timed("SOURCE score 103 queries", src::pairwise));
    m.put("Fast-Source", timed("Fast-Source fit + score", () -> Source.pairwise(in.fast(), o)));
    m.put("TracIn", timed("TracIn (learning-time weights)", () -> TracIn.pairwise(in, TracIn.Weighting.LEARNING_TIME, o.score())));
    m.put("EK-FAC IF", timed("EK-FAC influence fit + score", () -> InfluenceFunctions.ekfac(task, in.finalParameters(), o.fit(), Damping.learningTime(3e-2, 560, 0.9), o.score())));
    for (double[] r : m.get("SOURCE").values()) for (double v : r) assertTrue(Double.isFinite(v));

    if (Boolean.parseBoolean(System.getProperty("unroll.concrete.exact", "true"))) {
      Scores exact = timed("exact unrolling (2 threads)", () -> ExactUnroll.scores(run, task.queries(), task.measurement(), new ExactUnroll.Options(Integer.MAX_VALUE, 2)).stage(0));
      for (Map.Entry<String, Scores> e : m.entrySet()) {
        double[][] pred = e.getValue().predictedEffects();
        double p = 0, s = 0, xy = 0, xx = 0;
        for (int q = 0; q < pred.length; q++) {
          p += Fixtures.pearson(exact.row(q), pred[q]) / pred.length;
          s += Fixtures.spearman(exact.row(q), pred[q]) / pred.length;
          for (int i = 0; i < pred[q].length; i++) {
            xy += exact.get(q, i) * pred[q][i];
            xx += exact.get(q, i) * exact.get(q, i);
          }
        }
        System.out.printf("CONCRETE %s vs exact unrolling: mean Pearson %.3f, mean Spearman %.3f, scale %.3f%n", e.getKey(), p, s, xy / xx);
      }
    }
    System.out.printf("CONCRETE SOURCE vs Fast-Source mean Spearman %.3f, vs EK-FAC IF %.3f%n", meanSpearman(m.get("SOURCE"), m.get("Fast-Source")), meanSpearman(m.get("SOURCE"), m.get("EK-FAC IF")));
  }

  static <T> T timed(String what, Supplier<T> body) {
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long c0 = os.getProcessCpuTime(), t0 = System.nanoTime();
    T out = body.get();
    System.out.printf("CONCRETE %s: %.2f s wall, %.2f s process CPU%n", what, (System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - c0) / 1e9);
    return out;
  }

  static double meanSpearman(Scores a, Scores b) {
    double s = 0;
    for (int q = 0; q < a.numQueries(); q++) s += Fixtures.spearman(a.row(q), b.row(q));
    return s / a.numQueries();
  }
}
