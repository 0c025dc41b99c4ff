package dev.unroll.tda;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Margin;
import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.LabelNoise;
import dev.unroll.nn.data.Splits;
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
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.KroneckerCurvature;
import dev.unroll.tda.grad.GradientDots;
import dev.unroll.tda.grad.Gradients;
import dev.unroll.tda.methods.GradientSimilarity;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.Preconditioners;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.source.Source;
import dev.unroll.tda.source.SourceCheckpoint;
import dev.unroll.tda.source.SourceInputs;
import dev.unroll.tda.source.SourceOptions;
import dev.unroll.tda.source.SourceSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Wall-clock seconds of gradient cosine (pairwise) and every self-influence on FashionMNIST-N as
 * the paper experiment builds it (6144 training images with 30% of labels randomised, 100 test
 * queries, MLP 784-512-256-128-10 in float32, SGD lr 1e-2, momentum 0.9, wd 3e-5, batch 64, 3 epochs,
 * 6 checkpoints in 3 segments), each next to the materialised per-example computation it replaced
 * (replicated here through public APIs; SOURCE's over the first {@code sourceBatches} batches and
 * extrapolated). Also checks that both give the same values. Not a test: run with
 * {@code java -cp <test classpath> dev.unroll.tda.SelfInfluenceTimings DATA_DIR [sourceBatches [pairwise]]}
 * ({@code pairwise}: only the dot product and cosine pairwise scores; {@code source}: only SOURCE).
 */
public final class SelfInfluenceTimings {
  private SelfInfluenceTimings() {}

  public static void main(String[] args) throws Exception {
    String data = args.length > 0 ? args[0] : null;
    int sourceBatches = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    DataSets sets = DataSets.locate(data);
    Dataset train = Splits.sample(sets.fashionMnist().train(), 6144, 0);
    train = LabelNoise.randomize(train, DataSets.FASHION_N_FRACTION, 7919).data().flattenInputs().withName("fashion-mnist-n-train");
    Dataset queries = Splits.sample(sets.fashionMnist().test(), 100, 1).flattenInputs().withName("fashion-mnist-n-queries");
    StageSpec stage = StageSpec.of("train", DataSpec.all(train.name()), OptimizerSpec.sgd(0.9, 3e-5, false), LrSchedule.constant(1e-2), 64, 3).withCheckpoints(6, 3);
    RunConfig config = RunConfig.of(ModelSpec.mlp(Activation.RELU, new int[] {784, 512, 256, 128, 10}), "cross_entropy", DType.F32, 0, stage);
    long t0 = System.nanoTime();
    TrainResult run = Trainer.train(config, DataSource.of(train, queries), TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    System.out.printf("trained in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    AttributionTask task = new AttributionTask(run.model(), config.lossFunction(), new Margin(), train, queries);
    List<Tensor> params = new ArrayList<>(run.model().parameterValues());
    ScoreOptions so = ScoreOptions.defaults();
    FitOptions fit = FitOptions.of(FisherType.SAMPLED);
    SourceInputs in = SourceInputs.of(run.trajectory(), task);
    load("start");

    if (args.length > 2 && args[2].equals("source")) {
      Source src = time("SOURCE fit", () -> Source.fit(in, SourceOptions.defaults().withFit(fit)));
      time("SOURCE self (eigenbasis)", () -> src.selfInfluence().selfValues());
      return;
    }
    if (args.length > 2 && args[2].equals("pairwise")) {
      // Only the pairwise scores: the dot product (the same streamed GEMMs) beside the cosine.
      time("gradient dot pairwise", () -> GradientSimilarity.dot(task, params, so).values());
      time("gradient cosine pairwise (rank-one norms)", () -> GradientSimilarity.cosine(task, params, so).values());
      return;
    }
    double[][] cos = time("gradient cosine pairwise (rank-one norms)", () -> GradientSimilarity.cosine(task, params, so).values());
    double[][] cosOld = time("gradient cosine pairwise (materialised)", () -> materialisedCosine(task, params, so));
    System.out.printf("  max |difference| %.2e%n", maxDiff(cos, cosOld));

    double[] dot = time("gradient-dot self (rank-one)", () -> GradientSimilarity.selfDot(task, params, so).selfValues());
    double[] dotOld = time("gradient-dot self (materialised)", () -> materialisedNorms(task, params, so));
    System.out.printf("  relative difference %.2e%n", Fixtures.relativeError(dotOld, dot));

    double[] tr = time("TracIn self (rank-one)", () -> TracIn.selfInfluence(in, TracIn.Weighting.STEP_LR, so).selfValues());
    double[] trOld = time("TracIn self (materialised)", () -> materialisedTracIn(in, so));
    System.out.printf("  relative difference %.2e%n", Fixtures.relativeError(trOld, tr));

    KroneckerCurvature ek = time("EK-FAC fit", () -> Ekfac.ekfac(task, params, fit));
    time("EK-FAC self (rank-one quadratic)", () -> InfluenceFunctions.selfInfluence(task, params, Preconditioners.kronecker(ek, Damping.meanEigenvalue(0.1)), so).selfValues());
    KroneckerCurvature kf = time("K-FAC fit", () -> Ekfac.kfac(task, params, fit));
    time("K-FAC self (rank-one quadratic)", () -> InfluenceFunctions.selfInfluence(task, params, Preconditioners.kronecker(kf, Damping.meanEigenvalue(0.1)), so).selfValues());

    Source src = time("SOURCE fit", () -> Source.fit(in, SourceOptions.defaults().withFit(fit)));
    double[] s = time("SOURCE self (eigenbasis)", () -> src.selfInfluence().selfValues());
    long ts = System.nanoTime();
    double[] sOld = materialisedSource(src, so.trainBatchSize(), sourceBatches);
    double sec = (System.nanoTime() - ts) / 1e9;
    int done = Math.min(task.numTrain(), sourceBatches * so.trainBatchSize());
    System.out.printf("%-45s %8.1f s for %d examples, %.0f s extrapolated to %d%n", "SOURCE self (materialised)", sec, done, sec * task.numTrain() / done, task.numTrain());
    System.out.printf("  relative difference on those examples %.2e%n", Fixtures.relativeError(sOld, java.util.Arrays.copyOf(s, done)));
    load("end");
  }

  static <T> T time(String what, Callable<T> body) throws Exception {
    long t = System.nanoTime();
    T out = body.call();
    System.out.printf("%-45s %8.1f s   %s%n", what, (System.nanoTime() - t) / 1e9, loadAverage());
    return out;
  }

  static void load(String when) {
    System.out.println("load average at " + when + ": " + loadAverage());
  }

  static String loadAverage() {
    try {
      return "(load " + java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim().split(" ")[0] + ")";
    } catch (Exception e) {
      return "";
    }
  }

  /** The cosine as computed before: unit query gradients against normalised materialised training gradients. */
  static double[][] materialisedCosine(AttributionTask task, List<Tensor> params, ScoreOptions o) {
    double[][] values = new double[task.numQueries()][task.numTrain()];
    Tensor q = unit(Gradients.queries(task, params, o.queryBatchSize())).to(params.get(0).dtype());
    Gradients.forEachTrainingBatch(task, params, o.trainBatchSize(), b -> {
      double[][] d = GradientDots.dots(q, unit(b.gradients()).to(q.dtype()));
      for (int i = 0; i < d.length; i++) System.arraycopy(d[i], 0, values[i], b.start(), d[i].length);
    });
    return values;
  }

  static Tensor unit(Tensor g) {
    try (var s = GradMode.off()) {
      Tensor d = g.to(DType.F64);
      double[] n = d.mul(d).sum(1).toDoubleArray();
      for (int i = 0; i < n.length; i++) n[i] = n[i] > 0 ? 1 / Math.sqrt(n[i]) : 0;
      return d.mul(Tensor.of(n, n.length, 1));
    }
  }

  static double[] materialisedNorms(AttributionTask task, List<Tensor> params, ScoreOptions o) {
    double[] v = new double[task.numTrain()];
    Gradients.forEachTrainingBatch(task, params, o.trainBatchSize(), b -> {
      Tensor g = b.gradients().to(DType.F64);
      System.arraycopy(GradientDots.rowDots(g, g), 0, v, b.start(), b.size());
    });
    return v;
  }

  static double[] materialisedTracIn(SourceInputs in, ScoreOptions o) {
    double[] out = new double[in.task().numTrain()];
    for (SourceSegment seg : in.segments()) {
      for (SourceCheckpoint c : seg.checkpoints()) {
        double w = TracIn.weight(in, seg, c, TracIn.Weighting.STEP_LR);
        Gradients.forEachTrainingBatch(in.stageTask(seg.stage()), c.parameters(), o.trainBatchSize(), b -> {
          double[] d = GradientDots.rowDots(b.gradients(), b.gradients());
          for (int i = 0; i < d.length; i++) out[in.stages().get(seg.stage()).column(b.start() + i)] += w * d[i];
        });
      }
    }
    return out;
  }

  /** SOURCE's self-influence as computed before (single stage): segment vectors of the materialised final gradients, dotted with each checkpoint's. */
  static double[] materialisedSource(Source src, int batch, int batches) {
    SourceInputs in = src.inputs();
    AttributionTask t = in.task();
    int n = Math.min(t.numTrain(), batches * batch);
    double[] out = new double[n];
    for (int[] rows : Gradients.ranges(n, batch)) {
      List<Tensor> u = src.segmentVectors(Gradients.training(t, in.finalParameters(), rows));
      for (int l = 0; l < src.segments().size(); l++) {
        SourceSegment seg = src.segments().get(l).segment();
        double w = in.stageWeight(seg.stage()) / seg.numCheckpoints();
        for (SourceCheckpoint c : seg.checkpoints()) {
          double[] d = GradientDots.rowDots(u.get(l), Gradients.training(in.stageTask(seg.stage()), c.parameters(), rows));
          for (int j = 0; j < rows.length; j++) out[rows[j]] += w * d[j];
        }
      }
    }
    return out;
  }

  static double maxDiff(double[][] a, double[][] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) for (int j = 0; j < a[i].length; j++) m = Math.max(m, Math.abs(a[i][j] - b[i][j]));
    return m;
  }
}
