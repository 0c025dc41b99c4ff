package dev.unroll.experiments.paper;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.experiments.Options;
import dev.unroll.experiments.eval.GroundTruth;
import dev.unroll.experiments.eval.Lds;
import dev.unroll.experiments.report.Plots;
import dev.unroll.experiments.report.Report;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Module;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Splits;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.KernelThreads;
import dev.unroll.optim.train.ModelSpec;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.StageSpec;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Scores;
import dev.unroll.tda.grad.CapturedPass;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * The UCI regression experiments (Concrete, Parkinsons): train the recipe's MLP with recorded
 * checkpoints, score the held-out queries' absolute error with every method, retrain on M random
 * half-subsets R times each (cached, resumable), and report LDS per method with bootstrap
 * intervals, how far each method is from exact unrolling, and predicted-vs-actual scatter plots.
 */
public final class UciExperiment {
  private UciExperiment() {}

  static RunConfig imageConfig(Recipe r, String trainName, long seed) {
    StageSpec stage = StageSpec.of("train", DataSpec.all(trainName), OptimizerSpec.sgd(r.momentum(), r.weightDecay(), false), LrSchedule.constant(r.lr()), r.batchSize(), r.epochs())
        .withCheckpoints(6, 3);
    return RunConfig.of(ModelSpec.mlp(Activation.RELU, r.widths()), "cross_entropy", DType.F32, seed, stage);
  }

  static RunConfig config(Recipe r, String trainName, long seed) {
    StageSpec stage = StageSpec.of("train", DataSpec.all(trainName), OptimizerSpec.sgd(r.momentum(), r.weightDecay(), false), LrSchedule.constant(r.lr()), r.batchSize(), r.epochs())
        .withCheckpoints(6, 3);
    return RunConfig.of(ModelSpec.mlp(Activation.RELU, r.widths()), "mse", DType.F64, seed, stage);
  }

  /** f(z_q, θ) for every query, without a graph. */
  static double[] measure(Module model, Measurement f, Dataset queries) {
    try (var s = GradMode.off()) {
      return f.perExample(model.forward(queries.x()), queries.y()).toDoubleArray();
    }
  }

  public static int run(String task, String[] args) throws Exception {
    Options o = Options.parse(args, Set.of("scale", "out", "data", "threads", "seed", "epochs", "subsets", "seeds", "queries"), Set.of("train-only"));
    Scale scale = Scale.of(o.get("scale", "quick"));
    scale = new Scale(scale.name(), o.getInt("subsets", scale.subsets()), o.getInt("seeds", scale.seeds()), o.getInt("seeds", scale.imageSeeds()), o.getInt("queries", scale.queries()));
    Recipe recipe = switch (task) {
      case "concrete" -> Recipe.concrete();
      case "concrete-early" -> Recipe.concreteEarly();
      case "fashion-mnist" -> Recipe.fashionMnist();
      case "fashion-mnist-n" -> Recipe.fashionMnistN();
      default -> throw new IllegalArgumentException("unknown experiment " + task);
    };
    boolean image = task.startsWith("fashion");
    if (o.getInt("epochs", 0) > 0) recipe = new Recipe(recipe.task(), recipe.widths(), recipe.trainSize(), recipe.querySize(), recipe.lr(), recipe.momentum(), recipe.weightDecay(), recipe.batchSize(), o.getInt("epochs", 0));
    int threads = o.getInt("threads", Runtime.getRuntime().availableProcessors());
    long seed = o.getInt("seed", 0);
    Path out = Path.of(o.get("out", "runs/" + task + "-" + scale.name()));
    Files.createDirectories(out);
    long t0 = System.nanoTime();

    TaskSpec spec = TaskSpec.of(task, recipe);
    TaskSpec.Data td = spec.build(o.get("data", null));
    Dataset train = td.train();
    Dataset queries = td.queries().size() > scale.queries() ? Splits.first(td.queries(), scale.queries()).withName(td.queries().name()) : td.queries();
    DataSource source = DataSource.of(train, queries);
    RunConfig config = image ? imageConfig(recipe, train.name(), seed) : config(recipe, train.name(), seed);
    // Regression: absolute error; classification: the margin (method.md §1).
    Measurement f = spec.measurementFunction();
    if (image) scale = new Scale(scale.name(), scale.subsets(), scale.imageSeeds(), scale.imageSeeds(), scale.queries());
    System.out.printf("%s: %d training examples, %d queries, MLP %s, %d epochs, %s scale%n", task, train.size(), queries.size(), java.util.Arrays.toString(recipe.widths()), recipe.epochs(), scale.name());

    // UNROLL_DEVICE / -Dunroll.device (when set) moves training and SOURCE's passes to that device.
    Backend device = TrainOptions.usable(TrainOptions.inMemory().resolveDevice(), config.dataType());
    if (!device.isCpu()) System.out.println("computing training and SOURCE on " + device.name());
    long tTrain = System.nanoTime();
    TrainResult base = Trainer.train(config, source, TrainOptions.recorded(out.resolve("run")).resume(true).keep(image || o.flag("train-only") ? Keep.CHECKPOINTS : Keep.ALL_STEPS));
    double trainSeconds = (System.nanoTime() - tTrain) / 1e9;
    // What config.json does not say (which data, which measurement): ./unroll score reads it.
    spec.save(out.resolve("run"));
    AttributionTask attr = new AttributionTask(base.model(), config.lossFunction(), f, train, queries);
    Context ctx = new Context(recipe, base, attr, f, train, queries);
    System.out.printf("trained and recorded %d steps in %.1f s; mean query measurement %.4f%n", base.record().totalSteps(), trainSeconds, mean(measure(base.model(), f, queries)));
    if (o.flag("train-only")) {
      System.out.println("Recorded run: " + out.resolve("run") + " (score it with ./unroll score --run " + out.resolve("run") + " --method NAME)");
      return 0;
    }

    Map<String, Scores> scores = new LinkedHashMap<>();
    Map<String, Double> seconds = new LinkedHashMap<>();
    for (MethodRun m : MethodCatalog.all(!image, threads, source, !image || !scale.name().equals("quick"))) {
      long ts = System.nanoTime();
      boolean onDevice = !device.isCpu() && m.name().startsWith("SOURCE");
      Scores s = Backends.withCpu(Backends.cpu(), () -> CapturedPass.onDevice(onDevice ? device : Backends.cpu(), () -> {
        try {
          return m.compute().run(ctx);
        } catch (Exception e) {
          throw new RuntimeException(m.name() + ": " + e.getMessage(), e);
        }
      }));
      double sec = (System.nanoTime() - ts) / 1e9;
      scores.put(m.name(), s);
      seconds.put(m.name(), sec);
      Files.createDirectories(out.resolve("scores"));
      s.save(out.resolve("scores").resolve(m.name().replaceAll("[^A-Za-z0-9.-]+", "_") + ".npy"));
      System.out.printf("  %-28s scored in %6.1f s%n", m.name(), sec);
    }

    // Counterfactual ground truth: M subsets of ⌊N/2⌋, R seeds each.
    boolean[][] masks = Lds.subsets(train.size(), 0.5, scale.subsets(), 1000 + seed);
    JsonObject key = new JsonObject();
    key.add("run", JsonParser.parseString(config.toJson()));
    key.addProperty("queries", queries.name() + ":" + queries.size());
    Measurement fq = f;
    long tGt = System.nanoTime();
    GroundTruth gt = GroundTruth.compute(out.resolve("ground-truth"), key.toString(), masks, scale.seeds(), queries.size(), threads,
        (j, r) -> 1_000_000L * (j + 1) + r,
        (mask, s) -> KernelThreads.single(() -> Trainer.train(config.withData(0, DataSpec.mask(train.name(), mask)).withSeed(s), source,
            TrainOptions.inMemory().evaluation((model, c) -> measure(model, fq, queries))).measurements()));
    double gtSeconds = (System.nanoTime() - tGt) / 1e9;

    Report report = new Report(out, task + " (" + scale.name() + " scale)");
    report.setting("training examples", train.size()).setting("queries", queries.size()).setting("model", "MLP " + java.util.Arrays.toString(recipe.widths()) + ", ReLU")
        .setting("optimizer", "SGD lr " + recipe.lr() + ", momentum " + recipe.momentum() + ", weight decay " + recipe.weightDecay() + ", batch " + recipe.batchSize() + ", " + recipe.epochs() + " epochs (" + base.record().totalSteps() + " steps)")
        .setting("checkpoints / segments", "6 / 3").setting("measurement", image ? "margin of the true class" : "absolute error of the standardised target")
        .setting("ground truth", scale.subsets() + " subsets of alpha = 0.5, " + scale.seeds() + " retrains each (" + gt.directory().getFileName() + ")")
        .setting("base training seconds", String.format("%.1f", trainSeconds)).setting("retraining seconds (this invocation)", String.format("%.1f", gtSeconds));
    double[][] actual = gt.meanMeasurements();
    Scores exact = scores.get(MethodCatalog.EXACT);
    Map<String, Lds.Result> lds = new LinkedHashMap<>();
    for (var e : scores.entrySet()) {
      Lds.Result res = Lds.score(e.getValue().values(), masks, actual, 7);
      lds.put(e.getKey(), res);
      report.method(e.getKey(), res, seconds.get(e.getKey()));
      if (exact != null) report.methodFigure(e.getKey(), "Spearman with exact unrolling", meanRowSpearman(e.getValue().values(), exact.values()));
    }
    String best = lds.keySet().stream().filter(k -> k.startsWith("SOURCE")).findFirst().orElse(lds.keySet().iterator().next());
    double[][] pred = Lds.predicted(scores.get(best).values(), masks);
    for (int q = 0; q < Math.min(3, queries.size()); q++) {
      double[] x = new double[masks.length], y = new double[masks.length];
      for (int j = 0; j < masks.length; j++) {
        x[j] = pred[j][q];
        y[j] = actual[j][q];
      }
      String png = "scatter-q" + q + ".png";
      Plots.scatter(best + ", query " + q, "predicted group effect", "actual measurement after retraining", x, y, out.resolve(png));
      report.figure(png, best + ": predicted vs actual measurement over the " + masks.length + " subsets, query " + q + " (Spearman " + String.format("%.3f", lds.get(best).perQuery()[q]) + ")");
    }
    String table = report.write();
    System.out.println();
    System.out.println(table);
    System.out.printf("Report: %s (total %.1f s)%n", out.resolve("report.md"), (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  /** Mean over rows of the Spearman correlation between two score matrices' rows. */
  public static double meanRowSpearman(double[][] a, double[][] b) {
    SpearmansCorrelation sc = new SpearmansCorrelation();
    double s = 0;
    int n = 0;
    for (int q = 0; q < a.length; q++) {
      double v = sc.correlation(a[q], b[q]);
      if (Double.isFinite(v)) {
        s += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }

  static double mean(double[] v) {
    double s = 0;
    for (double x : v) s += x;
    return s / v.length;
  }

  static List<Tensor> params(Context c) {
    return new ArrayList<>(c.run().model().parameterValues());
  }
}
