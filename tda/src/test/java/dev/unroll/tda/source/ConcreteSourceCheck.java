package dev.unroll.tda.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Targets;
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
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.ScoreOptions;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The Concrete setting of the paper (method.md §7): MLP 8-128-128-128-1 (ReLU), 896 training
 * examples and 103 queries (seeded split, inputs and targets standardised on the training part),
 * SGD with momentum 0.9, η = 3e-2, weight decay 1e-5, batches of 32, 20 epochs (560 steps),
 * L = 3 segments and C = 6 checkpoints. Scores SOURCE (EK-FAC, true Fisher with one sampled label),
 * Fast-Source, TracIn and EK-FAC influence at θ_T, prints their wall-clock times and agreement.
 *
 * <p>Not a unit test (it measures, and takes tens of seconds): runs only with
 * {@code -Dunroll.concrete=true}, e.g.
 * {@code mvn -pl tda -am test -Dtest=ConcreteSourceCheck -Dsurefire.failIfNoSpecifiedTests=false -Dunroll.concrete=true}.
 */
@EnabledIfSystemProperty(named = "unroll.concrete", matches = "true")
class ConcreteSourceCheck {
  @ParameterizedTest
  @ValueSource(strings = {"float32", "float64"})
  void concrete(String dtypeName) {
    DType dtype = dtypeName.equals("float32") ? DType.F32 : DType.F64;
    TrainTest tt = Splits.split(DataSets.concrete(), 896, 103, 0);
    Standardizer sx = Standardizer.fitInputs(tt.train()), sy = Standardizer.fitTargets(tt.train());
    Dataset train = standardised("concrete-train", tt.train(), sx, sy).to(dtype);
    Dataset queries = standardised("concrete-queries", tt.test(), sx, sy).to(dtype);
    StageSpec stage = StageSpec.of("train", DataSpec.all("concrete-train"), OptimizerSpec.sgd(0.9, 1e-5, false), LrSchedule.constant(3e-2), 32, 20);
    RunConfig cfg = RunConfig.of(ModelSpec.mlp(Activation.RELU, 8, 128, 128, 128, 1), "mse", dtype, 0, stage);
    long t0 = System.nanoTime();
    Trajectory run = Trainer.train(cfg, DataSource.of(train), TrainOptions.inMemory().keep(Keep.CHECKPOINTS)).trajectory();
    double trainS = seconds(t0);
    AttributionTask task = new AttributionTask(run.newModel(), new MseLoss(), Measurement.absoluteError(), train, queries);
    SourceInputs in = SourceInputs.of(run, task);
    assertEquals(3, in.segments().size());
    assertEquals(6, in.segments().stream().mapToInt(SourceSegment::numCheckpoints).sum());
    SourceOptions o = SourceOptions.defaults().withFit(FitOptions.defaults().withBatchSize(128)).withScore(new ScoreOptions(128, 128, 0));

    t0 = System.nanoTime();
    Source src = Source.fit(in, o);
    double fitS = seconds(t0);
    t0 = System.nanoTime();
    Scores source = src.pairwise();
    double scoreS = seconds(t0);

    t0 = System.nanoTime();
    Scores fast = Source.pairwise(in.fast(), o);
    double fastS = seconds(t0);
    t0 = System.nanoTime();
    Scores tracin = TracIn.pairwise(in, TracIn.Weighting.LEARNING_TIME, o.score());
    double tracinS = seconds(t0);
    t0 = System.nanoTime();
    Scores ekfac = InfluenceFunctions.ekfac(task, in.finalParameters(), o.fit(), Damping.learningTime(3e-2, 560, 0.9), o.score());
    double ifS = seconds(t0);

    assertEquals(103, source.numQueries());
    assertEquals(896, source.numTrain());
    for (double[] r : source.values()) for (double v : r) assertTrue(Double.isFinite(v));
    System.out.printf("CONCRETE %s: training %.2f s; SOURCE (EK-FAC, L=3, C=6): fit %.2f s + score 103 queries %.2f s = %.2f s; Fast-Source %.2f s; TracIn %.2f s; EK-FAC IF %.2f s%n",
        dtypeName, trainS, fitS, scoreS, fitS + scoreS, fastS, tracinS, ifS);
    System.out.printf("CONCRETE %s: mean per-query Spearman of SOURCE with Fast-Source %.3f, with EK-FAC IF %.3f, with TracIn %.3f%n",
        dtypeName, meanSpearman(source, fast), meanSpearman(source, ekfac), meanSpearman(source, tracin));
  }

  static Dataset standardised(String name, Dataset d, Standardizer sx, Standardizer sy) {
    Targets.Regression y = (Targets.Regression) d.y();
    return new Dataset(name, sx.transform(d.x()), new Targets.Regression(sy.transform(y.values())));
  }

  static double meanSpearman(Scores a, Scores b) {
    double s = 0;
    for (int q = 0; q < a.numQueries(); q++) s += Fixtures.spearman(a.row(q), b.row(q));
    return s / a.numQueries();
  }

  static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
