package dev.unroll.experiments.paper;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.GradMode;
import dev.unroll.experiments.eval.GroundTruth;
import dev.unroll.experiments.eval.Lds;
import dev.unroll.experiments.report.Report;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Module;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.KernelThreads;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Scores;
import dev.unroll.tda.grad.CapturedPass;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The steps every experiment shares, whatever its {@link Setting}: train the base run with recorded
 * checkpoints (resumable), score the queries with every method of the setting, retrain on M random
 * half-subsets R times each (cached, resumable; {@link GroundTruth}), compute each method's LDS with
 * a bootstrap interval (overall and per query group), run the setting's
 * {@link ExtraEvaluations extra evaluations}, and write the report ({@link ReportFigures}).
 */
public final class Pipeline {
  private Pipeline() {}

  /**
   * How much to do and where: the scale (M, R, queries), threads, the base run's seed, the run
   * folder, the methods by {@link MethodIds id} (null: every method of the setting), and how much
   * of the evaluations beside the LDS to run ({@link ExtraEvaluations}: none, quick or full);
   * {@code trainOnly} records the base run (and its {@code task.json}) and stops.
   */
  public record Run(Scale scale, int threads, long seed, Path out, java.util.List<String> methods, String evaluations, boolean trainOnly) {
    public Run(Scale scale, int threads, long seed, Path out, java.util.List<String> methods) {
      this(scale, threads, seed, out, methods, "quick", false);
    }
  }

  public static int run(Setting setting, Run run) throws Exception {
    Scale scale = run.scale();
    Path out = run.out();
    Files.createDirectories(out);
    long t0 = System.nanoTime();
    Setting.Data data = setting.data().firstQueries(scale.queries());
    Dataset train = data.train(), queries = data.queries();
    DataSource source = DataSource.of(train, queries);
    RunConfig config = setting.config(data, run.seed());
    Measurement f = setting.measurement();
    int seeds = setting.image() ? scale.imageSeeds() : scale.seeds();
    System.out.printf("%s: %d training examples, %d queries, %s, %d stage(s), %s scale%n", setting.name(), train.size(), queries.size(), setting.modelText(), config.numStages(), scale.name());

    // UNROLL_DEVICE / -Dunroll.device (when set) moves training and SOURCE's passes to that device.
    Backend device = TrainOptions.usable(TrainOptions.inMemory().resolveDevice(), config.dataType());
    if (!device.isCpu()) System.out.println("computing training and SOURCE on " + device.name());
    long tTrain = System.nanoTime();
    TrainResult base = Trainer.train(config, source, TrainOptions.recorded(out.resolve("run")).resume(true).keep(run.trainOnly() ? dev.unroll.optim.train.Keep.CHECKPOINTS : setting.keep()));
    double trainSeconds = (System.nanoTime() - tTrain) / 1e9;
    // What config.json does not say (which data, which measurement): ./unroll score reads it.
    TaskSpec spec = setting.taskSpec();
    if (spec != null) spec.save(out.resolve("run"));
    if (run.trainOnly()) {
      System.out.printf("trained and recorded %d steps in %.1f s%nRecorded run: %s (score it with ./unroll score --run %s --method NAME)%n", base.record().totalSteps(), trainSeconds, out.resolve("run"), out.resolve("run"));
      return 0;
    }
    AttributionTask attr = new AttributionTask(base.model(), config.lossFunction(), f, train, queries);
    Context ctx = new Context(setting.recipe(), base, attr, f, train, queries, setting, source, run.threads(), out);
    double[] measured = measure(base.model(), f, queries);
    System.out.printf("trained and recorded %d steps in %.1f s; mean query measurement %.4f%n", base.record().totalSteps(), trainSeconds, mean(measured));

    Map<String, Scores> scores = new LinkedHashMap<>();
    Map<String, Double> seconds = new LinkedHashMap<>();
    for (MethodRun m : MethodIds.select(setting.methods(run.threads(), source, scale), run.methods(), setting.name())) {
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

    // Counterfactual ground truth: M subsets of ⌊N/2⌋, R seeds each, removed from every stage.
    boolean[][] masks = Lds.subsets(train.size(), 0.5, scale.subsets(), 1000 + run.seed());
    long tGt = System.nanoTime();
    GroundTruth gt = GroundTruth.compute(out.resolve("ground-truth"), cacheKey(config, queries), masks, seeds, queries.size(), run.threads(),
        (j, r) -> 1_000_000L * (j + 1) + r, retrainer(config, source, f, queries));
    double gtSeconds = (System.nanoTime() - tGt) / 1e9;

    Report report = new Report(out, setting.name() + " (" + scale.name() + " scale)");
    report.setting("training examples", train.size()).setting("queries", queries.size()).setting("model", setting.modelText())
        .setting("optimizer", setting.optimizerText(base))
        .setting("checkpoints / segments", checkpointsText(config)).setting("measurement", setting.measurementText())
        .setting("ground truth", scale.subsets() + " subsets of alpha = 0.5, " + seeds + " retrains each (" + gt.directory().getFileName() + ")")
        .setting("base training seconds", String.format("%.1f", trainSeconds)).setting("retraining seconds (this invocation)", String.format("%.1f", gtSeconds));
    setting.describe(report);
    if (!data.groups().isEmpty()) report.setting("mean query measurement of the base run", groupMeans(data, measured));
    Map<String, Lds.Result> lds = ReportFigures.lds(report, data, scores, seconds, masks, gt.meanMeasurements());
    for (ExtraEvaluation e : ExtraEvaluations.of(setting, run.evaluations())) {
      long te = System.nanoTime();
      e.run(new ExtraEvaluation.Inputs(ctx, scores, seconds, gt, lds, report, out));
      System.out.printf("  evaluation %s in %.1f s%n", e.name(), (System.nanoTime() - te) / 1e9);
    }
    ReportFigures.scatter(report, scores, lds, masks, gt.meanMeasurements(), queries.size());
    String table = report.write();
    System.out.println();
    System.out.println(table);
    System.out.printf("Report: %s (total %.1f s)%n", out.resolve("report.md"), (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  /** The ground-truth cache key: the run's configuration (canonical JSON) and the queries by name and count. */
  static String cacheKey(RunConfig config, Dataset queries) {
    JsonObject key = new JsonObject();
    key.add("run", JsonParser.parseString(config.toJson()));
    key.addProperty("queries", queries.name() + ":" + queries.size());
    return key.toString();
  }

  /** Trains {@code config} without the masked-out points, with a seed, on one kernel thread, and measures every query. */
  static GroundTruth.Retrainer retrainer(RunConfig config, DataSource source, Measurement f, Dataset queries) {
    return (mask, s) -> KernelThreads.single(() -> Trainer.train(Setting.onSubset(config, mask).withSeed(s), source,
        TrainOptions.inMemory().evaluation((model, c) -> measure(model, f, queries))).measurements());
  }

  /** "C / L" (recorded checkpoints / segments) of a single stage; of every stage when there are several. */
  static String checkpointsText(RunConfig config) {
    StringBuilder b = new StringBuilder();
    for (int s = 0; s < config.numStages(); s++) b.append(s == 0 ? "" : ", ").append(config.stage(s).checkpoints()).append(" / ").append(config.stage(s).segments());
    return config.numStages() == 1 ? b.toString() : "per stage " + b;
  }

  /** "overall m; GROUP m; ..." of the per-query measurements. */
  static String groupMeans(Setting.Data data, double[] measured) {
    StringBuilder b = new StringBuilder(String.format("overall %.3f", mean(measured)));
    for (Setting.QueryGroup g : data.groups()) {
      double s = 0;
      for (int r : g.rows()) s += measured[r];
      b.append(String.format("; %s %.3f", g.name(), s / g.rows().length));
    }
    return b.toString();
  }

  /** f(z_q, θ) for every query, without a graph. */
  static double[] measure(Module model, Measurement f, Dataset queries) {
    try (var s = GradMode.off()) {
      return f.perExample(model.forward(queries.x()), queries.y()).toDoubleArray();
    }
  }

  static double mean(double[] v) {
    double s = 0;
    for (double x : v) s += x;
    return s / v.length;
  }
}
