package dev.unroll.experiments.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.experiments.Options;
import dev.unroll.experiments.paper.MethodCatalog;
import dev.unroll.experiments.paper.TaskSpec;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Scores;
import dev.unroll.tda.TracIn;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.methods.GradientSimilarity;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.RepresentationSimilarity;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.methods.Trak;
import dev.unroll.tda.source.Source;
import dev.unroll.tda.unroll.ExactUnroll;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
    METHODS.put("unroll", "exact unrolled differentiation of the recorded run [--threads N] [--query-block B (0: sized to 192 MB of adjoints per block, or a sixth of the heap among the threads)]");
    METHODS.put("source", "SOURCE [--segments L] [--curvature ekfac|kfac|hessian|fisher] [--form exponential|power] [--fisher]");
    METHODS.put("fast-source", "Fast-Source: SOURCE at each segment's mean parameters (same options)");
  }

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
    ScoreSession s = ScoreSession.open(Path.of(runOption), o);
    System.out.printf("run %s: %s, %d training examples, %d queries (%s), %d parameters, %d steps%n", s.dir, s.spec.name(), s.task.numTrain(), s.task.numQueries(),
        s.queryLabel, s.parameterCount(), s.run.record().totalSteps());
    double load0 = ScoreAll.loadAverage();
    if (method.equals("all")) return ScoreAll.all(s, o, load0);

    Path out = Path.of(o.get("out", "scores.npy"));
    long t0 = System.nanoTime();
    Scores scores = timedCompute(method, s);
    double seconds = (System.nanoTime() - t0) / 1e9;
    save(scores, out);
    JsonObject summary = summary(s, method, scores, seconds, out.getFileName().toString());
    System.out.printf("%s: %d x %d scores in %.2f s -> %s%n", method, scores.numQueries(), scores.numTrain(), seconds, out);
    if (o.flag("timing")) {
      double train = ScoreAll.medianTrainingSeconds(s);
      JsonObject t = new JsonObject();
      t.addProperty("training_seconds", train);
      t.addProperty("ratio_to_training", seconds / train);
      t.addProperty("load_average_start", load0);
      t.addProperty("load_average_end", ScoreAll.loadAverage());
      summary.add("timing", t);
      System.out.printf("one training run (median of 5): %.3f s; %s / training = %.3f (load average %.2f -> %.2f)%n", train, method, seconds / train, load0, ScoreAll.loadAverage());
    }
    AtomicFiles.writeString(summaryPath(out), GSON.toJson(summary) + "\n");
    return 0;
  }

  // ------------------------------------------------------------------ the methods

  /** The scores of {@code method} (a name of {@link #METHODS}) on the session's run and queries. */
  static Scores compute(String method, ScoreSession s) throws Exception {
    Options o = s.options;
    ScoreOptions so = ScoreOptions.defaults().withTrainBatchSize(o.getInt("batch", 128)).withQueryBatchSize(o.getInt("batch", 128))
        .withQueryChunk(o.getInt("query-chunk", queryChunk(method, s)));
    FitOptions fit = MethodOptions.fit(o);
    AttributionTask task = s.task;
    List<Tensor> p = s.params;
    return switch (method) {
      case "grad-dot" -> GradientSimilarity.dot(task, p, so);
      case "grad-cos" -> GradientSimilarity.cosine(task, p, so);
      case "tracin" -> TracIn.pairwise(s.sourceInputs(), MethodOptions.tracinWeighting(o), so);
      case "trak" -> {
        int m = o.getInt("trak-models", 0);
        if (m < 0) throw new Options.UsageException("--trak-models must be >= 0, got " + m);
        List<List<Tensor>> models = m == 0 ? List.of(p) : MethodCatalog.halfModels(s.context(), m, s.source);
        yield Trak.scores(task, models, Trak.Options.defaults(o.getInt("trak-dim", 512)));
      }
      case "repsim" -> RepresentationSimilarity.scores(task, p, o.get("layer", null), MethodOptions.similarity(o), so);
      case "if-explicit" -> MethodOptions.operator(o, InfluenceFunctions.Operator.HESSIAN) == InfluenceFunctions.Operator.HESSIAN
          ? InfluenceFunctions.explicitHessian(task, p, fit, MethodOptions.damping(o, s, "mean:0.1"), so)
          : InfluenceFunctions.explicitFisher(task, p, fit.withFisher(FisherType.EXPECTED), MethodOptions.damping(o, s, "mean:0.1"), so);
      case "if-cg" -> InfluenceFunctions.conjugateGradient(task, p, MethodOptions.operator(o, InfluenceFunctions.Operator.GAUSS_NEWTON), fit, MethodOptions.damping(o, s, "learning-time"),
          o.getDouble("cg-tol", 1e-6), o.getInt("cg-iters", 100), so);
      case "if-lissa" -> {
        InfluenceFunctions.Operator op = MethodOptions.operator(o, InfluenceFunctions.Operator.GAUSS_NEWTON);
        Damping d = MethodOptions.damping(o, s, "learning-time");
        double scale = o.getDouble("lissa-scale", Double.NaN);
        if (Double.isNaN(scale)) scale = MethodOptions.largestEigenvalue(InfluenceFunctions.operator(op, task, p, fit).damped(MethodOptions.lambdaOf(d)), 20);
        yield InfluenceFunctions.lissa(task, p, op, fit, d, scale, o.getDouble("lissa-tol", 1e-6), o.getInt("lissa-depth", 1000), so);
      }
      case "if-diagonal" -> InfluenceFunctions.diagonal(task, p, fit, MethodOptions.damping(o, s, "mean:0.1"), so);
      case "if-kfac" -> InfluenceFunctions.kfac(task, p, fit, MethodOptions.damping(o, s, "mean:0.1"), so);
      case "if-ekfac" -> InfluenceFunctions.ekfac(task, p, fit, MethodOptions.damping(o, s, "mean:0.1"), so);
      case "unroll" -> ExactUnroll.scores(s.run.trajectory(), task.queries(), task.measurement(), new ExactUnroll.Options(o.getInt("query-block", 0), s.threads)).combined();
      case "source" -> Source.pairwise(s.sourceSegments(o), MethodOptions.sourceOptions(o, fit, so));
      case "fast-source" -> Source.pairwise(s.sourceSegments(o).fast(), MethodOptions.sourceOptions(o, fit, so));
      default -> throw new Options.UsageException("unknown method '" + method + "'; known: " + String.join(", ", METHODS.keySet()) + ", all");
    };
  }

  static Scores timedCompute(String method, ScoreSession s) {
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
  static int queryChunk(String method, ScoreSession s) {
    long perQuery = s.parameterCount() * 8L * (method.endsWith("source") ? s.run.record().segments().size() + 4 : 4);
    long fit = (long) (Runtime.getRuntime().maxMemory() * 0.4) / Math.max(1, perQuery);
    return fit >= s.task.numQueries() ? 0 : (int) Math.max(1, fit);
  }

  // ------------------------------------------------------------------ files

  static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeSpecialFloatingPointValues().create();

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

  static JsonObject summary(ScoreSession s, String name, Scores scores, double seconds, String file) {
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
}
