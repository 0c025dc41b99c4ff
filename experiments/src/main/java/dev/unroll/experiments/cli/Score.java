package dev.unroll.experiments.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.experiments.Options;
import dev.unroll.experiments.paper.Context;
import dev.unroll.experiments.paper.MethodCatalog;
import dev.unroll.experiments.paper.ReportFigures;
import dev.unroll.experiments.paper.TaskSpec;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Splits;
import dev.unroll.optim.train.DataSource;
import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.RunDirectory;
import dev.unroll.optim.train.RunRecord;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Scores;
import dev.unroll.tda.TracIn;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.LinearOperator;
import dev.unroll.tda.methods.GradientSimilarity;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.RepresentationSimilarity;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.methods.Trak;
import dev.unroll.tda.source.Source;
import dev.unroll.tda.source.SourceInputs;
import dev.unroll.tda.source.SourceOptions;
import dev.unroll.tda.unroll.ExactUnroll;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code ./unroll score --run DIR --method NAME [--queries test|FILE] [--out FILE]}: attribution
 * scores of a recorded training run with one method, or with every method that fits the model
 * ({@code --method all}) side by side.
 *
 * <p>The run directory is what {@code Trainer.train(config, source, TrainOptions.recorded(dir))}
 * writes (configuration, manifest, steps, checkpoints) plus the {@value TaskSpec#FILE} the
 * experiments store beside them, which names the data and the measurement; for runs without it,
 * {@code --task NAME} names the experiment. The data are rebuilt and checked against the run's
 * recorded fingerprints, the run is loaded as recorded (nothing is retrained), and the scores
 * τ(z_q, z_m) [queries × training examples] are written with {@link Scores#save} (.npy and its
 * JSON sidecar) next to a summary (method, settings, shape, seconds).
 *
 * <p>Every method is computed by the library (module tda) with the settings of the experiments
 * ({@link MethodCatalog}) unless an option says otherwise.
 */
public final class Score {
  private Score() {}

  /** The methods by command-line name, with what they compute and the options they read. */
  static final Map<String, String> METHODS = new LinkedHashMap<>();

  static {
    METHODS.put("grad-dot", "gradient dot product <grad f(z_q), grad L(z_m)> at the final parameters");
    METHODS.put("grad-cos", "cosine of the same gradients");
    METHODS.put("tracin", "TracIn-CP over the recorded checkpoints [--tracin-weighting step-lr|learning-time]");
    METHODS.put("trak", "TRAK [--trak-dim K] [--trak-models M: 0 = the recorded model, M >= 1 trains M half-data models]");
    METHODS.put("repsim", "representation similarity [--similarity cosine|dot|l2] [--layer NAME]");
    METHODS.put("if-explicit", "influence with the explicit damped inverse [--operator hessian|gauss-newton] [--damping] (small models)");
    METHODS.put("if-cg", "influence by conjugate gradient [--operator gauss-newton|hessian] [--cg-iters N] [--cg-tol T] [--damping]");
    METHODS.put("if-lissa", "influence by LiSSA [--operator gauss-newton|hessian] [--lissa-depth N] [--lissa-scale S] [--lissa-tol T] [--damping]");
    METHODS.put("if-diagonal", "influence with a diagonal curvature [--fisher] [--damping]");
    METHODS.put("if-kfac", "K-FAC influence [--fisher] [--damping]");
    METHODS.put("if-ekfac", "EK-FAC influence [--fisher] [--damping]");
    METHODS.put("unroll", "exact unrolled differentiation of the recorded run [--threads N] [--query-block B (0: sized to 192 MB of adjoints per block)]");
    METHODS.put("source", "SOURCE [--segments L] [--curvature ekfac|kfac|hessian|fisher] [--form exponential|power] [--fisher]");
    METHODS.put("fast-source", "Fast-Source: SOURCE at each segment's mean parameters (same options)");
  }

  /** {@code --method all}: the explicit inverse, CG and LiSSA only up to this many parameters (P Hessian-vector products, or one solve per query). */
  static final long SMALL_MODEL_PARAMETERS = 3000;
  /** {@code --method all}: exact unrolling only where parameters × steps is at most this (Concrete's MLP: 1.9·10⁷; FashionMNIST's: 1.5·10⁸). */
  static final long EXACT_PARAMETER_STEPS = 50_000_000L;

  static final Set<String> VALUED = Set.of("run", "method", "queries", "first", "out", "data", "task", "threads", "batch",
      "damping", "fisher", "fit-examples", "fit-seed", "segments", "curvature", "form", "operator", "cg-iters", "cg-tol",
      "lissa-depth", "lissa-scale", "lissa-tol", "trak-dim", "trak-models", "tracin-weighting", "layer", "similarity", "query-block", "query-chunk");

  public static int run(String[] args) throws Exception {
    Options o = Options.parse(args, VALUED, Set.of("timing"));
    String method = o.get("method", null);
    if (method == null) throw new Options.UsageException("score needs --method NAME; known: " + String.join(", ", METHODS.keySet()) + ", all");
    if (!method.equals("all") && !METHODS.containsKey(method)) {
      throw new Options.UsageException("unknown method '" + method + "'; known: " + String.join(", ", METHODS.keySet()) + ", all");
    }
    String runOption = o.get("run", null);
    if (runOption == null) throw new Options.UsageException("score needs --run DIR, the directory of a recorded run (e.g. runs/concrete-quick/run)");
    Session s = Session.open(Path.of(runOption), o);
    System.out.printf("run %s: %s, %d training examples, %d queries (%s), %d parameters, %d steps%n", s.dir, s.spec.name(), s.task.numTrain(), s.task.numQueries(),
        s.queryLabel, s.parameterCount(), s.run.record().totalSteps());
    double load0 = loadAverage();
    if (method.equals("all")) return all(s, o, load0);

    Path out = Path.of(o.get("out", "scores.npy"));
    long t0 = System.nanoTime();
    Scores scores = timedCompute(method, s);
    double seconds = (System.nanoTime() - t0) / 1e9;
    save(scores, out);
    JsonObject summary = summary(s, method, scores, seconds, out.getFileName().toString());
    System.out.printf("%s: %d x %d scores in %.2f s -> %s%n", method, scores.numQueries(), scores.numTrain(), seconds, out);
    if (o.flag("timing")) {
      double train = median(trainingSeconds(s), trainingSeconds(s), trainingSeconds(s), trainingSeconds(s), trainingSeconds(s));
      JsonObject t = new JsonObject();
      t.addProperty("training_seconds", train);
      t.addProperty("ratio_to_training", seconds / train);
      t.addProperty("load_average_start", load0);
      t.addProperty("load_average_end", loadAverage());
      summary.add("timing", t);
      System.out.printf("one training run (median of 5): %.3f s; %s / training = %.3f (load average %.2f -> %.2f)%n", train, method, seconds / train, load0, loadAverage());
    }
    AtomicFiles.writeString(summaryPath(out), GSON.toJson(summary) + "\n");
    return 0;
  }

  // ------------------------------------------------------------------ the methods

  /** The scores of {@code method} (a name of {@link #METHODS}) on the session's run and queries. */
  static Scores compute(String method, Session s) throws Exception {
    Options o = s.options;
    ScoreOptions so = ScoreOptions.defaults().withTrainBatchSize(o.getInt("batch", 128)).withQueryBatchSize(o.getInt("batch", 128))
        .withQueryChunk(o.getInt("query-chunk", queryChunk(method, s)));
    FitOptions fit = fit(o);
    AttributionTask task = s.task;
    List<Tensor> p = s.params;
    return switch (method) {
      case "grad-dot" -> GradientSimilarity.dot(task, p, so);
      case "grad-cos" -> GradientSimilarity.cosine(task, p, so);
      case "tracin" -> TracIn.pairwise(s.sourceInputs(), tracinWeighting(o), so);
      case "trak" -> {
        int m = o.getInt("trak-models", 0);
        if (m < 0) throw new Options.UsageException("--trak-models must be >= 0, got " + m);
        List<List<Tensor>> models = m == 0 ? List.of(p) : MethodCatalog.halfModels(s.context(), m, s.source);
        yield Trak.scores(task, models, Trak.Options.defaults(o.getInt("trak-dim", 512)));
      }
      case "repsim" -> RepresentationSimilarity.scores(task, p, o.get("layer", null), similarity(o), so);
      case "if-explicit" -> operator(o, InfluenceFunctions.Operator.HESSIAN) == InfluenceFunctions.Operator.HESSIAN
          ? InfluenceFunctions.explicitHessian(task, p, fit, damping(o, s, "mean:0.1"), so)
          : InfluenceFunctions.explicitFisher(task, p, fit.withFisher(FisherType.EXPECTED), damping(o, s, "mean:0.1"), so);
      case "if-cg" -> InfluenceFunctions.conjugateGradient(task, p, operator(o, InfluenceFunctions.Operator.GAUSS_NEWTON), fit, damping(o, s, "learning-time"),
          o.getDouble("cg-tol", 1e-6), o.getInt("cg-iters", 100), so);
      case "if-lissa" -> {
        InfluenceFunctions.Operator op = operator(o, InfluenceFunctions.Operator.GAUSS_NEWTON);
        Damping d = damping(o, s, "learning-time");
        double scale = o.getDouble("lissa-scale", Double.NaN);
        if (Double.isNaN(scale)) scale = largestEigenvalue(InfluenceFunctions.operator(op, task, p, fit).damped(lambdaOf(d)), 20);
        yield InfluenceFunctions.lissa(task, p, op, fit, d, scale, o.getDouble("lissa-tol", 1e-6), o.getInt("lissa-depth", 1000), so);
      }
      case "if-diagonal" -> InfluenceFunctions.diagonal(task, p, fit, damping(o, s, "mean:0.1"), so);
      case "if-kfac" -> InfluenceFunctions.kfac(task, p, fit, damping(o, s, "mean:0.1"), so);
      case "if-ekfac" -> InfluenceFunctions.ekfac(task, p, fit, damping(o, s, "mean:0.1"), so);
      case "unroll" -> ExactUnroll.scores(s.run.trajectory(), task.queries(), task.measurement(), new ExactUnroll.Options(o.getInt("query-block", 0), s.threads)).combined();
      case "source" -> Source.pairwise(s.sourceSegments(o), sourceOptions(o, fit, so));
      case "fast-source" -> Source.pairwise(s.sourceSegments(o).fast(), sourceOptions(o, fit, so));
      default -> throw new Options.UsageException("unknown method '" + method + "'; known: " + String.join(", ", METHODS.keySet()) + ", all");
    };
  }

  static Scores timedCompute(String method, Session s) {
    return Backends.withCpu(Backends.cpu(), () -> {
      try {
        return compute(method, s);
      } catch (Options.UsageException | IllegalArgumentException e) {
        throw e;
      } catch (Exception e) {
        throw new RuntimeException(method + ": " + e.getMessage(), e);
      }
    });
  }

  /**
   * Queries scored together (0: all), so that their float64 vectors fit in 40% of the heap: SOURCE
   * keeps one [Q, P] vector per segment plus about four for the rotations, the others about four.
   * Each further chunk costs another sweep over the training set (per checkpoint for SOURCE), so
   * chunks are used only where memory requires them (FashionMNIST's MLP under a 2 GiB heap).
   */
  static int queryChunk(String method, Session s) {
    long perQuery = s.parameterCount() * 8L * (method.endsWith("source") ? s.run.record().segments().size() + 4 : 4);
    long fit = (long) (Runtime.getRuntime().maxMemory() * 0.4) / Math.max(1, perQuery);
    return fit >= s.task.numQueries() ? 0 : (int) Math.max(1, fit);
  }

  static FitOptions fit(Options o) {
    FitOptions f = FitOptions.of(fisher(o)).withMaxExamples(o.getInt("fit-examples", 0)).withSeed(o.getInt("fit-seed", 0));
    return f.withBatchSize(o.getInt("batch", f.batchSize()));
  }

  static FisherType fisher(Options o) {
    String v = o.get("fisher", "sampled");
    return switch (v) {
      case "sampled", "true" -> FisherType.SAMPLED;
      case "empirical" -> FisherType.EMPIRICAL;
      case "expected", "gauss-newton" -> FisherType.EXPECTED;
      default -> throw new Options.UsageException("--fisher must be sampled, empirical or expected, got '" + v + "'");
    };
  }

  /**
   * {@code --damping}: a number (fixed λ), {@code mean:F} (F × the curvature's mean eigenvalue) or
   * {@code learning-time} (λ = (1 − β)/Σₖηₖ, the inverse of the run's momentum-scaled learning time).
   */
  static Damping damping(Options o, Session s, String fallback) {
    String v = o.get("damping", fallback);
    try {
      if (v.startsWith("mean:")) return Damping.meanEigenvalue(Double.parseDouble(v.substring(5)));
      if (v.equals("learning-time")) {
        RunRecord r = s.run.record();
        double lrSum = 0;
        for (int k = 0; k < r.totalSteps(); k++) lrSum += r.lr(k);
        return Damping.learningTime(lrSum / r.totalSteps(), r.totalSteps(), s.config.stage(0).optimizer().momentum());
      }
      return Damping.of(Double.parseDouble(v));
    } catch (NumberFormatException e) {
      throw new Options.UsageException("--damping must be a number, mean:FRACTION or learning-time, got '" + v + "'");
    }
  }

  /** λ of a damping rule that needs no eigenvalue (CG and LiSSA accept only those). */
  static double lambdaOf(Damping d) {
    if (d.needsMeanEigenvalue()) throw new Options.UsageException("CG and LiSSA need --damping as a number or learning-time (an operator has no cheap mean eigenvalue), got " + d.describe());
    return d.resolve(0);
  }

  static InfluenceFunctions.Operator operator(Options o, InfluenceFunctions.Operator fallback) {
    String v = o.get("operator", null);
    if (v == null) return fallback;
    return switch (v) {
      case "hessian" -> InfluenceFunctions.Operator.HESSIAN;
      case "gauss-newton" -> InfluenceFunctions.Operator.GAUSS_NEWTON;
      default -> throw new Options.UsageException("--operator must be hessian or gauss-newton, got '" + v + "'");
    };
  }

  static TracIn.Weighting tracinWeighting(Options o) {
    String v = o.get("tracin-weighting", "step-lr");
    return switch (v) {
      case "step-lr" -> TracIn.Weighting.STEP_LR;
      case "learning-time" -> TracIn.Weighting.LEARNING_TIME;
      default -> throw new Options.UsageException("--tracin-weighting must be step-lr or learning-time, got '" + v + "'");
    };
  }

  static RepresentationSimilarity.Similarity similarity(Options o) {
    String v = o.get("similarity", "cosine");
    return switch (v) {
      case "cosine" -> RepresentationSimilarity.Similarity.COSINE;
      case "dot" -> RepresentationSimilarity.Similarity.DOT;
      case "l2" -> RepresentationSimilarity.Similarity.NEGATIVE_L2;
      default -> throw new Options.UsageException("--similarity must be cosine, dot or l2, got '" + v + "'");
    };
  }

  static SourceOptions sourceOptions(Options o, FitOptions fit, ScoreOptions so) {
    String c = o.get("curvature", "ekfac"), f = o.get("form", "exponential");
    SourceOptions.Curvature curvature = switch (c) {
      case "ekfac" -> SourceOptions.Curvature.EKFAC;
      case "kfac" -> SourceOptions.Curvature.KFAC;
      case "hessian" -> SourceOptions.Curvature.HESSIAN;
      case "fisher" -> SourceOptions.Curvature.FISHER;
      default -> throw new Options.UsageException("--curvature must be ekfac, kfac, hessian or fisher, got '" + c + "'");
    };
    SourceOptions.Form form = switch (f) {
      case "exponential" -> SourceOptions.Form.EXPONENTIAL;
      case "power" -> SourceOptions.Form.POWER;
      default -> throw new Options.UsageException("--form must be exponential or power, got '" + f + "'");
    };
    return SourceOptions.defaults().withCurvature(curvature).withForm(form).withFit(fit).withScore(so);
  }

  /**
   * An estimate of the largest eigenvalue of a positive semi-definite operator: ‖Gv‖ after
   * {@code iterations} power iterations from a seeded random v. LiSSA converges for any scale above
   * half the largest eigenvalue; the estimate approaches it from below, so it serves as the scale.
   */
  static double largestEigenvalue(LinearOperator g, int iterations) {
    SplittableRandom rng = new SplittableRandom(0);
    double[] v = new double[g.dim()];
    for (int i = 0; i < v.length; i++) v[i] = rng.nextDouble() - 0.5;
    double lambda = 0;
    for (int it = 0; it < iterations; it++) {
      double n = Math.sqrt(dot(v, v));
      for (int i = 0; i < v.length; i++) v[i] /= n;
      double[] gv = g.apply(v);
      lambda = Math.sqrt(dot(gv, gv));
      v = gv;
    }
    if (!(lambda > 0)) throw new IllegalArgumentException("LiSSA: the curvature's largest eigenvalue estimate is " + lambda + "; pass --lissa-scale");
    return lambda;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }

  // ------------------------------------------------------------------ --method all

  /** The methods of {@code --method all} that fit the session's model, in table order. */
  static List<String> fitting(Session s) {
    long p = s.parameterCount();
    boolean small = p <= SMALL_MODEL_PARAMETERS;
    List<String> m = new ArrayList<>();
    if (p * s.run.record().totalSteps() <= EXACT_PARAMETER_STEPS) m.add("unroll");
    m.addAll(List.of("source", "fast-source", "if-ekfac", "if-kfac", "if-diagonal"));
    if (small) m.addAll(List.of("if-explicit", "if-cg", "if-lissa"));
    m.addAll(List.of("tracin", "trak", "grad-dot", "grad-cos", "repsim"));
    return m;
  }

  static int all(Session s, Options o, double load0) throws Exception {
    Path out = Path.of(o.get("out", "scores"));
    if (out.getFileName().toString().endsWith(".npy")) throw new Options.UsageException("with --method all, --out names a directory (one .npy per method and summary.json), got " + out);
    Files.createDirectories(out);
    List<String> methods = fitting(s);
    List<String> skipped = new ArrayList<>(METHODS.keySet());
    skipped.removeAll(methods);
    if (!skipped.isEmpty()) System.out.println("left out for this model's size: " + String.join(", ", skipped));
    Map<String, Scores> scores = new LinkedHashMap<>();
    Map<String, Double> seconds = new LinkedHashMap<>();
    for (String m : methods) {
      long t0 = System.nanoTime();
      Scores sc = timedCompute(m, s);
      double sec = (System.nanoTime() - t0) / 1e9;
      scores.put(m, sc);
      seconds.put(m, sec);
      save(sc, out.resolve(m + ".npy"));
      System.out.printf("  %-12s %8.2f s%n", m, sec);
    }
    String ref = scores.containsKey("unroll") ? "unroll" : "source";
    JsonObject summary = new JsonObject();
    summary.addProperty("run", s.dir.toString());
    summary.addProperty("task", s.spec.name());
    summary.addProperty("queries", s.queryLabel);
    JsonArray shape = new JsonArray();
    shape.add(s.task.numQueries());
    shape.add(s.task.numTrain());
    summary.add("shape", shape);
    summary.addProperty("parameters", s.parameterCount());
    summary.addProperty("reference", ref);
    JsonObject ms = new JsonObject();
    StringBuilder table = new StringBuilder();
    table.append(String.format(Locale.ROOT, "%n| method | seconds | Spearman with %s |%n|---|---|---|%n", ref.equals("unroll") ? "exact unrolling" : "SOURCE"));
    for (var e : scores.entrySet()) {
      double rho = ReportFigures.meanRowSpearman(e.getValue().values(), scores.get(ref).values());
      JsonObject m = summary(s, e.getKey(), e.getValue(), seconds.get(e.getKey()), e.getKey() + ".npy");
      m.addProperty("spearman_with_reference", rho);
      ms.add(e.getKey(), m);
      table.append(String.format(Locale.ROOT, "| %s | %.2f | %.3f |%n", e.getKey(), seconds.get(e.getKey()), rho));
    }
    summary.add("methods", ms);
    System.out.print(table);
    if (o.flag("timing")) summary.add("timing", timing(s, seconds, load0));
    AtomicFiles.writeString(out.resolve("summary.json"), GSON.toJson(summary) + "\n");
    System.out.println("Scores and summary.json in " + out);
    return 0;
  }

  /**
   * The speed ratios of the project's targets, measured in this process: one training run of the
   * recorded configuration (in memory, timed after the methods so that both are warm) against
   * EK-FAC influence (target ≤ 1), SOURCE against EK-FAC influence (≤ 6) and exact unrolling per
   * 100 queries against training (≤ 20).
   */
  static JsonObject timing(Session s, Map<String, Double> seconds, double load0) {
    // The short measurements are repeated (median of 5 training runs; EK-FAC timed 3 more times, median of 4):
    // a single sub-second sample on a shared machine is mostly noise.
    double train = median(trainingSeconds(s), trainingSeconds(s), trainingSeconds(s), trainingSeconds(s), trainingSeconds(s));
    if (seconds.containsKey("if-ekfac")) seconds.put("if-ekfac", median(seconds.get("if-ekfac"), secondsOf("if-ekfac", s), secondsOf("if-ekfac", s), secondsOf("if-ekfac", s)));
    double q = s.task.numQueries();
    JsonObject t = new JsonObject();
    t.addProperty("training_seconds", train);
    System.out.printf(Locale.ROOT, "%none training run (%d steps, in memory, median of 5): %.3f s; EK-FAC influence (median of 4): %s s%n", s.run.record().totalSteps(), train,
        seconds.containsKey("if-ekfac") ? String.format(Locale.ROOT, "%.3f", seconds.get("if-ekfac")) : "-");
    for (var e : seconds.entrySet()) t.addProperty(e.getKey() + "_to_training", e.getValue() / train);
    if (seconds.containsKey("if-ekfac")) ratio(t, "ekfac_influence_to_training", seconds.get("if-ekfac") / train, 1, "EK-FAC influence / one training run");
    if (seconds.containsKey("source") && seconds.containsKey("if-ekfac")) {
      ratio(t, "source_to_ekfac_influence", seconds.get("source") / seconds.get("if-ekfac"), 6, "SOURCE (" + s.checkpointCount() + " checkpoints) / EK-FAC influence");
    }
    if (seconds.containsKey("unroll")) ratio(t, "unroll_per_100_queries_to_training", seconds.get("unroll") * (100 / q) / train, 20, "exact unrolling per 100 queries / one training run");
    t.addProperty("load_average_start", load0);
    t.addProperty("load_average_end", loadAverage());
    System.out.printf(Locale.ROOT, "load average: %.2f at the start, %.2f at the end (timings are noisy under load)%n", load0, loadAverage());
    return t;
  }

  private static void ratio(JsonObject t, String key, double value, double target, String what) {
    t.addProperty(key, value);
    System.out.printf(Locale.ROOT, "  %-52s %7.3f  (target <= %s: %s)%n", what, value, target == (long) target ? Long.toString((long) target) : Double.toString(target), value <= target ? "met" : "MISSED");
  }

  /** Seconds of one in-memory training run of the recorded configuration (the cost unit of the ratios). */
  static double trainingSeconds(Session s) {
    long t0 = System.nanoTime();
    Backends.withCpu(Backends.cpu(), () -> Trainer.train(s.config, s.source, TrainOptions.inMemory()));
    return (System.nanoTime() - t0) / 1e9;
  }

  static double secondsOf(String method, Session s) {
    long t0 = System.nanoTime();
    timedCompute(method, s);
    return (System.nanoTime() - t0) / 1e9;
  }

  static double median(double... v) {
    double[] c = v.clone();
    java.util.Arrays.sort(c);
    return c.length % 2 == 1 ? c[c.length / 2] : (c[c.length / 2 - 1] + c[c.length / 2]) / 2;
  }

  static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  // ------------------------------------------------------------------ files

  private static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

  static void save(Scores s, Path npy) throws java.io.IOException {
    if (!npy.getFileName().toString().endsWith(".npy")) throw new Options.UsageException("--out must name a .npy file, got " + npy);
    Path parent = npy.toAbsolutePath().getParent();
    if (parent != null) Files.createDirectories(parent);
    s.save(npy);
  }

  /** FILE.npy → FILE.summary.json (FILE.json is the scores' own sidecar). */
  static Path summaryPath(Path npy) {
    String n = npy.getFileName().toString();
    return npy.resolveSibling(n.substring(0, n.length() - 4) + ".summary.json");
  }

  static JsonObject summary(Session s, String name, Scores scores, double seconds, String file) {
    JsonObject m = new JsonObject();
    m.addProperty("method", name);
    m.addProperty("scores_method", scores.method());
    m.addProperty("run", s.dir.toString());
    m.addProperty("queries", s.queryLabel);
    JsonArray shape = new JsonArray();
    shape.add(scores.numQueries());
    shape.add(scores.numTrain());
    m.add("shape", shape);
    m.addProperty("seconds", seconds);
    m.addProperty("file", file);
    m.add("settings", GSON.toJsonTree(scores.settings()));
    return m;
  }

  // ------------------------------------------------------------------ the run

  /** A recorded run loaded for scoring: its data rebuilt and checked, the final model, the queries. */
  static final class Session {
    final Path dir;
    final TaskSpec spec;
    final TrainResult run;
    final RunConfig config;
    final DataSource source;
    final AttributionTask task;
    final List<Tensor> params;
    final Options options;
    final int threads;
    final String queryLabel;
    private SourceInputs sourceInputs;

    private Session(Path dir, TaskSpec spec, TrainResult run, DataSource source, AttributionTask task, Options options, String queryLabel) {
      this.dir = dir;
      this.spec = spec;
      this.run = run;
      this.config = run.config();
      this.source = source;
      this.task = task;
      this.params = new ArrayList<>(run.model().parameterValues());
      this.options = options;
      this.threads = options.getInt("threads", Runtime.getRuntime().availableProcessors());
      if (threads < 1) throw new Options.UsageException("--threads must be >= 1, got " + threads);
      this.queryLabel = queryLabel;
    }

    static Session open(Path dir, Options o) {
      if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + " is not a directory; --run takes the directory of a recorded run (e.g. runs/concrete-quick/run)");
      if (!RunDirectory.exists(dir)) {
        String hint = RunDirectory.exists(dir.resolve("run")) ? "; did you mean " + dir.resolve("run") + "?" : " (a recorded run holds config.json and manifest.json; ./unroll experiment NAME --train-only records one)";
        throw new IllegalArgumentException(dir + " is not a recorded run: it has no manifest.json" + hint);
      }
      RunDirectory rd = RunDirectory.open(dir);
      if ("diverged".equals(rd.status())) throw new IllegalArgumentException(dir + " holds a run that diverged (" + rd.message() + "); there is nothing to attribute");
      if (!"complete".equals(rd.status())) {
        throw new IllegalArgumentException(dir + " holds an unfinished run (" + rd.stepsCompleted() + " of " + rd.record().totalSteps() + " steps stored); finish it first by running the same experiment again");
      }
      TaskSpec spec;
      if (o.get("task", null) != null) spec = TaskSpec.ofExperiment(o.get("task", null));
      else if (TaskSpec.exists(dir)) spec = TaskSpec.load(dir);
      else throw new IllegalArgumentException(dir + " has no " + TaskSpec.FILE + " saying which data it trained on; pass --task NAME (concrete, concrete-early, fashion-mnist, fashion-mnist-n)");
      TaskSpec.Data data = spec.build(o.get("data", null));
      RunConfig config = rd.config();
      Dataset train = data.train().to(config.dataType());
      Dataset queries;
      String queriesOption = o.get("queries", "test");
      String label;
      if (queriesOption.equals("test")) {
        queries = data.queries();
        label = "test";
      } else {
        Dataset raw = QueryFile.read(Path.of(queriesOption), spec.name() + "-file-queries", train.inputSize(),
            train.isClassification() ? 0 : train.targetDim(), train.isClassification() ? train.numClasses() : 0);
        queries = data.prepare().apply(raw).withName(spec.name() + "-file-queries");
        label = queriesOption;
      }
      int first = o.getInt("first", 0);
      if (first < 0) throw new Options.UsageException("--first must be >= 0 (0: all queries), got " + first);
      if (first > 0 && first < queries.size()) {
        queries = Splits.first(queries, first).withName(queries.name());
        label += " (first " + first + ")";
      }
      queries = queries.to(config.dataType());
      DataSource source = DataSource.of(train, data.queries().withName(spec.name() + "-queries"));
      // The recorded run as it is: a finished run is loaded, not trained (its data checked against the recorded fingerprints).
      TrainResult run = Trainer.train(config, source, TrainOptions.recorded(dir).resume(true).keep(Keep.CHECKPOINTS));
      AttributionTask task = new AttributionTask(run.model(), config.lossFunction(), spec.measurementFunction(), train, queries);
      return new Session(dir, spec, run, source, task, o, label);
    }

    long parameterCount() {
      long n = 0;
      for (Tensor t : params) n += t.numel();
      return n;
    }

    int checkpointCount() {
      return run.record().segments().stream().mapToInt(g -> g.checkpointSteps().length).sum();
    }

    SourceInputs sourceInputs() {
      if (sourceInputs == null) sourceInputs = SourceInputs.of(run.trajectory(), task);
      return sourceInputs;
    }

    /** The recorded segments, merged to L per stage with {@code --segments L} (MethodCatalog.segments). */
    SourceInputs sourceSegments(Options o) {
      int l = o.getInt("segments", Integer.MAX_VALUE);
      if (l < 1) throw new Options.UsageException("--segments must be >= 1, got " + l);
      return MethodCatalog.segments(sourceInputs(), l);
    }

    Context context() {
      // No experiment setting here: a recorded run, its data and the thread count are all the methods use.
      return new Context(null, run, task, task.measurement(), task.train(), task.queries(), null, source, threads, dir);
    }
  }
}
