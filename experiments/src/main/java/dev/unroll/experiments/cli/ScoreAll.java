package dev.unroll.experiments.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.experiments.Options;
import dev.unroll.experiments.paper.ReportFigures;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.Scores;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./unroll score --method all}: every method that fits the model's size scored on one run,
 * a table of their timings and agreement (Spearman with exact unrolling where it ran, else with
 * SOURCE), and with {@code --timing} the speed ratios of the project's targets measured in the
 * same process.
 */
final class ScoreAll {
  private ScoreAll() {}

  /** {@code --method all}: the explicit inverse, CG and LiSSA only up to this many parameters (P Hessian-vector products, or one solve per query). */
  static final long SMALL_MODEL_PARAMETERS = 3000;
  /** {@code --method all}: exact unrolling only where parameters × steps is at most this (Concrete's MLP: 1.9·10⁷; FashionMNIST's: 1.5·10⁸). */
  static final long EXACT_PARAMETER_STEPS = 50_000_000L;

  /**
   * {@code --method all --self-influence}: exact unrolling only up to this many training examples, one
   * reverse sweep each (Concrete's 896: about nine times its 103 queries' pairwise sweeps).
   */
  static final int EXACT_SELF_EXAMPLES = 1024;

  /** The methods of {@code --method all} that fit the session's model, in table order. */
  static List<String> fitting(ScoreSession s) {
    long p = s.parameterCount();
    boolean small = p <= SMALL_MODEL_PARAMETERS;
    List<String> m = new ArrayList<>();
    boolean exact = p * s.run.record().totalSteps() <= EXACT_PARAMETER_STEPS && (!s.selfInfluence || s.task.numTrain() <= EXACT_SELF_EXAMPLES);
    if (exact) m.add("unroll");
    m.addAll(List.of("source", "fast-source", "if-ekfac", "if-kfac", "if-diagonal"));
    if (small) m.addAll(List.of("if-explicit", "if-cg", "if-lissa"));
    m.addAll(List.of("tracin", "trak", "grad-dot", "grad-cos", "repsim"));
    return m;
  }

  static int all(ScoreSession s, Options o, double load0) throws Exception {
    Path out = Path.of(o.get("out", "scores"));
    if (out.getFileName().toString().endsWith(".npy")) throw new Options.UsageException("with --method all, --out names a directory (one .npy per method and summary.json), got " + out);
    if (s.selfInfluence && o.flag("timing")) throw new Options.UsageException("--timing measures the pairwise speed targets; run it without --self-influence");
    Files.createDirectories(out);
    List<String> methods = fitting(s);
    List<String> skipped = new ArrayList<>(Score.METHODS.keySet());
    skipped.removeAll(methods);
    if (!skipped.isEmpty()) System.out.println("left out for this model's size: " + String.join(", ", skipped));
    Map<String, Scores> scores = new LinkedHashMap<>();
    Map<String, Double> seconds = new LinkedHashMap<>();
    Map<String, String> failed = new LinkedHashMap<>();
    for (String m : methods) {
      long t0 = System.nanoTime();
      Scores sc;
      try {
        sc = MethodScores.timedCompute(m, s);
      } catch (ArithmeticException e) {
        // A numerical failure (CG on an indefinite Hessian, LiSSA's scale too small) is the method's
        // answer under these options: report it and go on with the others.
        failed.put(m, e.getMessage());
        System.out.printf("  %-12s failed: %s%n", m, e.getMessage());
        // No scores of an earlier run may pass for this one's.
        Files.deleteIfExists(out.resolve(m + ".npy"));
        continue;
      }
      double sec = (System.nanoTime() - t0) / 1e9;
      scores.put(m, sc);
      seconds.put(m, sec);
      Score.save(sc, out.resolve(m + ".npy"));
      System.out.printf("  %-12s %8.2f s%n", m, sec);
    }
    if (scores.isEmpty()) throw new ArithmeticException("every method failed: " + failed);
    String ref = scores.containsKey("unroll") ? "unroll" : scores.containsKey("source") ? "source" : scores.keySet().iterator().next();
    JsonObject summary = new JsonObject();
    summary.addProperty("run", s.dir.toString());
    summary.addProperty("task", s.spec.name());
    summary.addProperty("queries", s.queryLabel);
    JsonArray shape = new JsonArray();
    shape.add(s.selfInfluence ? 1 : s.task.numQueries());
    shape.add(s.task.numTrain());
    summary.add("shape", shape);
    summary.addProperty("parameters", s.parameterCount());
    summary.addProperty("reference", ref);
    summary.addProperty("self_influence", s.selfInfluence);
    JsonObject ms = new JsonObject();
    StringBuilder table = new StringBuilder();
    table.append(String.format(Locale.ROOT, "%n| method | seconds | Spearman with %s |%n|---|---|---|%n", ref.equals("unroll") ? "exact unrolling" : ref.equals("source") ? "SOURCE" : ref));
    for (var e : scores.entrySet()) {
      double rho = ReportFigures.meanRowSpearman(e.getValue().values(), scores.get(ref).values());
      JsonObject m = Score.summary(s, e.getKey(), e.getValue(), seconds.get(e.getKey()), e.getKey() + ".npy");
      m.addProperty("spearman_with_reference", rho);
      ms.add(e.getKey(), m);
      // A method whose scores are constant (the cosines' self-influence) has no rank correlation.
      String r = Double.isNaN(rho) ? "n/a (constant)" : String.format(Locale.ROOT, "%.3f", rho);
      table.append(String.format(Locale.ROOT, "| %s | %.2f | %s |%n", e.getKey(), seconds.get(e.getKey()), r));
    }
    summary.add("methods", ms);
    for (var e : failed.entrySet()) table.append(String.format(Locale.ROOT, "| %s | failed | %s |%n", e.getKey(), e.getValue()));
    summary.add("failed", Score.GSON.toJsonTree(failed));
    System.out.print(table);
    if (o.flag("timing")) summary.add("timing", timing(s, seconds, load0));
    AtomicFiles.writeString(out.resolve("summary.json"), Score.GSON.toJson(summary) + "\n");
    System.out.println("Scores and summary.json in " + out);
    return failed.isEmpty() ? 0 : 1;
  }

  /**
   * The speed ratios of the project's targets, measured in this process: one training run of the
   * recorded configuration (in memory, timed after the methods so that both are warm) against
   * EK-FAC influence (target ≤ 1), SOURCE against EK-FAC influence (≤ 6) and exact unrolling per
   * 100 queries against training (≤ 20).
   */
  static JsonObject timing(ScoreSession s, Map<String, Double> seconds, double load0) {
    // The short measurements are repeated (median of 5 training runs; EK-FAC and SOURCE timed 3 more
    // times, median of 4): a single sub-second sample on a shared machine is mostly noise, and each
    // method's first call in this process also pays for compiling its code.
    double train = medianTrainingSeconds(s);
    for (String m : List.of("if-ekfac", "source")) {
      if (seconds.containsKey(m)) seconds.put(m, median(seconds.get(m), secondsOf(m, s), secondsOf(m, s), secondsOf(m, s)));
    }
    double q = s.task.numQueries();
    JsonObject t = new JsonObject();
    t.addProperty("training_seconds", train);
    System.out.printf(Locale.ROOT, "%none training run (%d steps, in memory, median of 5): %.3f s; EK-FAC influence, SOURCE (medians of 4): %s, %s s%n", s.run.record().totalSteps(), train,
        secondsText(seconds, "if-ekfac"), secondsText(seconds, "source"));
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

  private static String secondsText(Map<String, Double> seconds, String method) {
    return seconds.containsKey(method) ? String.format(Locale.ROOT, "%.3f", seconds.get(method)) : "-";
  }

  private static void ratio(JsonObject t, String key, double value, double target, String what) {
    t.addProperty(key, value);
    System.out.printf(Locale.ROOT, "  %-52s %7.3f  (target <= %s: %s)%n", what, value, target == (long) target ? Long.toString((long) target) : Double.toString(target), value <= target ? "met" : "MISSED");
  }

  /** The median of five {@link #trainingSeconds}: a single sub-second sample on a shared machine is mostly noise. */
  static double medianTrainingSeconds(ScoreSession s) {
    return median(trainingSeconds(s), trainingSeconds(s), trainingSeconds(s), trainingSeconds(s), trainingSeconds(s));
  }

  /** Seconds of one in-memory training run of the recorded configuration (the cost unit of the ratios). */
  static double trainingSeconds(ScoreSession s) {
    long t0 = System.nanoTime();
    Backends.withCpu(Backends.cpu(), () -> Trainer.train(s.config, s.source, TrainOptions.inMemory()));
    return (System.nanoTime() - t0) / 1e9;
  }

  static double secondsOf(String method, ScoreSession s) {
    long t0 = System.nanoTime();
    MethodScores.timedCompute(method, s);
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
}
