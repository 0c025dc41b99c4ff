package dev.unroll.experiments.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.experiments.Options;
import dev.unroll.experiments.paper.MethodCatalog;
import dev.unroll.experiments.paper.TaskSpec;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.Scores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./unroll score --run DIR --method NAME [--queries test|train|FILE | --self-influence] [--out FILE]}: attribution
 * scores of a recorded training run with one method, or with every method that fits the model
 * ({@code --method all}) side by side. With {@code --self-influence} each method instead gives every
 * training example's self-influence τ(z_m, z_m), its own training loss being the measurement (the
 * diagonal of the pairwise matrix with the training set as queries, computed without that matrix),
 * as a [1 × N] score file: for mislabel detection.
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
    METHODS.put("unroll", "exact unrolled differentiation of the recorded run [--threads N] [--query-block B (0: sized to 192 MB of adjoints per block, or a sixth of the heap among the threads)] [--sweep-dtype float32|float64 (default: the run's)]");
    METHODS.put("source", "SOURCE [--segments L] [--curvature ekfac|kfac|hessian|fisher] [--form exponential|power] [--fisher]");
    METHODS.put("fast-source", "Fast-Source: SOURCE at each segment's mean parameters (same options)");
  }

  static final Set<String> VALUED = Set.of("run", "method", "queries", "first", "out", "data", "task", "threads", "batch",
      "damping", "fisher", "fit-examples", "fit-seed", "segments", "curvature", "form", "operator", "cg-iters", "cg-tol",
      "lissa-depth", "lissa-scale", "lissa-tol", "trak-dim", "trak-models", "tracin-weighting", "layer", "similarity", "query-block", "query-chunk", "seeds", "sweep-dtype");

  public static int run(String[] args) throws Exception {
    Options o = Options.parse(args, VALUED, Set.of("timing", "self-influence"));
    String method = o.get("method", null);
    if (method == null) throw new Options.UsageException("score needs --method NAME; known: " + String.join(", ", METHODS.keySet()) + ", all");
    if (!method.equals("all") && !METHODS.containsKey(method)) {
      throw new Options.UsageException("unknown method '" + method + "'; known: " + String.join(", ", METHODS.keySet()) + ", all");
    }
    String runOption = o.get("run", null);
    if (runOption == null) throw new Options.UsageException("score needs --run DIR, the directory of a recorded run (e.g. runs/concrete-quick/run)");
    if (o.flag("timing") && o.getInt("seeds", 1) > 1) throw new Options.UsageException("--timing measures one run's methods; run it without --seeds");
    ScoreSession s = ScoreSession.open(Path.of(runOption), o);
    System.out.printf("run %s: %s, %d training examples, %s, %d parameters, %d steps%n", s.dir, s.spec.name(), s.task.numTrain(),
        s.selfInfluence ? "self-influence" : s.task.numQueries() + " queries (" + s.queryLabel + ")", s.parameterCount(), s.run.record().totalSteps());
    double load0 = ScoreAll.loadAverage();
    if (method.equals("all")) return ScoreAll.all(s, o, load0);

    Path out = Path.of(o.get("out", s.selfInfluence ? "self-influence.npy" : "scores.npy"));
    long t0 = System.nanoTime();
    Scores scores = MethodScores.timedCompute(method, s);
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
