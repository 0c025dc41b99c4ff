package dev.unroll.experiments.eval;

import dev.unroll.experiments.report.ImagePanels;
import dev.unroll.experiments.report.Plots;
import dev.unroll.experiments.report.Report;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Scores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The evaluations beside LDS, run on an experiment's recorded run and scores and added to its
 * report: leave-one-out correlation, subset removal against random removal, mislabeled-example
 * detection by self-influence (when the training labels were corrupted) and image panels (for
 * 28×28 classification data). Retrains go through {@link GroundTruth}'s cache under
 * {@code cacheRoot}, keyed by {@code configJson}.
 */
public final class Evaluations {
  private Evaluations() {}

  /**
   * What the experiment has at hand.
   *
   * @param out        the run folder (figures are written there)
   * @param cacheRoot  the ground-truth cache folder (shared with LDS)
   * @param configJson the canonical training configuration (the cache key)
   * @param run        the recorded base run (self-influence needs its trajectory)
   * @param task       training set, queries, loss and measurement at the final parameters
   * @param scores     each method's pairwise scores over task's queries and training set
   * @param retrainer  trains on a mask with a seed and returns every query's measurement
   * @param corrupted  indices of training points whose label was corrupted, or null
   */
  public record Setup(Path out, Path cacheRoot, String configJson, TrainResult run, AttributionTask task, Map<String, Scores> scores,
      GroundTruth.Retrainer retrainer, int threads, int seeds, int[] corrupted) {}

  /**
   * How much of each evaluation to do; 0 skips one.
   *
   * @param looPoints      training points left out one at a time
   * @param removalQueries queries of subset removal
   * @param fractions      subset-removal k as fractions of N
   * @param panelQueries   queries per image panel
   * @param panelK         supporting and opposing images per query
   * @param removalMethods  the methods subset removal retrains for (its cost grows with each), or
   *     null for all; leave-one-out and panels cost nothing per method
   * @param selfInfluenceMethods the {@link SelfInfluences} methods of mislabel detection, or null for all
   * @param seeds          at most this many retraining seeds per left-out point or removed subset
   *     (fewer where the LDS ground truth has fewer)
   */
  public record Plan(int looPoints, int removalQueries, double[] fractions, int panelQueries, int panelK, java.util.Set<String> removalMethods,
      java.util.Set<String> selfInfluenceMethods, int seeds) {
    /** The methods whose subset-removal curves the lighter plans retrain: the ones the paper compares, and the plainest baseline. */
    static final java.util.Set<String> CORE = java.util.Set.of("SOURCE (L=3)", "EK-FAC influence", "TracIn", "gradient dot");

    /**
     * For settings whose retrains take a fraction of a second (Concrete: 560 steps): 40 left-out
     * points; subset removal of 1, 2, 5 and 10% for 5 queries and every method; panels of 4 queries
     * with 5 images each side; up to 4 seeds.
     */
    public static Plan quick() {
      return new Plan(40, 5, new double[] {0.01, 0.02, 0.05, 0.10}, 4, 5, null, null, 4);
    }

    /**
     * For tabular settings whose retrains take seconds (Parkinsons: 3300 steps): as {@link #quick},
     * but subset removal only for SOURCE (L=3), EK-FAC influence, TracIn and gradient dot, and up to
     * 2 seeds (the full quick plan retrained 1284 times, 81% of the experiment's time).
     */
    public static Plan quickLight() {
      Plan q = quick();
      return new Plan(q.looPoints(), q.removalQueries(), q.fractions(), q.panelQueries(), q.panelK(), CORE, q.selfInfluenceMethods(), 2);
    }

    /**
     * For image data (a 20-epoch FashionMNIST retrain takes 4 s of a core): no leave-one-out (one
     * image's effect is far below the seed noise of a few retrains; {@link #full} runs it), subset
     * removal of 2, 5 and 10% for 4 queries by SOURCE (L=3), EK-FAC influence and TracIn with one
     * seed (paired with one full-data retrain of the same seed), panels; SOURCE's self-influence is
     * left out of mislabel detection (on 6144 FashionMNIST images it runs for 4.5–9.5 minutes on 2
     * shared cores).
     */
    public static Plan quickImage() {
      return new Plan(0, 4, new double[] {0.02, 0.05, 0.10}, 4, 5, java.util.Set.of("SOURCE (L=3)", "EK-FAC influence", "TracIn"),
          java.util.Set.of("training loss", "gradient dot", "TracIn", "EK-FAC influence", "K-FAC influence"), 1);
    }

    /** All methods of every evaluation, up to 10 seeds (the paper scale). */
    public static Plan full() {
      return new Plan(100, 10, new double[] {0.01, 0.02, 0.05, 0.10}, 6, 5, null, null, 10);
    }
  }

  public static void run(Setup s, Plan p, Report report) throws Exception {
    AttributionTask task = s.task();
    boolean better = Support.higherIsBetter(task.measurement());
    int n = task.numTrain(), q = task.numQueries();
    String unit = better ? "margin drop" : "error increase";

    if (p.looPoints() > 0) {
      System.out.printf("leave-one-out: %d points x %d seeds%n", p.looPoints(), s.seeds());
      LeaveOneOut.Result loo = LeaveOneOut.run(s.cacheRoot(), s.configJson(), n, q, s.scores(), new LeaveOneOut.Options(p.looPoints(), s.seeds(), s.threads(), 23), s.retrainer());
      StringBuilder md = new StringBuilder("Actual effect of removing each of " + loo.points().length + " sampled training points (mean over " + s.seeds()
          + " paired retrains) against each method's score, correlated per query over the points and averaged over the " + q + " queries (95% bootstrap interval).\n\n"
          + "| method | Pearson | 95% interval | Spearman | 95% interval |\n|---|---|---|---|---|\n");
      Map<String, Object> json = new LinkedHashMap<>();
      loo.methods().forEach((m, c) -> {
        md.append(String.format(Locale.ROOT, "| %s | %.3f | [%.3f, %.3f] | %.3f | [%.3f, %.3f] |%n", m, c.pearson().mean(), c.pearson().low(), c.pearson().high(), c.spearman().mean(), c.spearman().low(), c.spearman().high()));
        report.methodFigure(m, "LOO Pearson", c.pearson().mean());
        json.put(m, ordered("pearson", c.pearson().mean(), "pearson_low", c.pearson().low(), "pearson_high", c.pearson().high(),
            "spearman", c.spearman().mean(), "spearman_low", c.spearman().low(), "spearman_high", c.spearman().high()));
      });
      report.result("leave_one_out", ordered("points", loo.points().length, "seeds", s.seeds(), "methods", json));
      report.section("Leave-one-out correlation", md.toString());
    } else {
      report.note("Leave-one-out correlation is not part of this evaluation plan (`--evaluations full` runs it).");
    }

    if (p.removalQueries() > 0) {
      System.out.printf("subset removal: up to %d queries x %d sizes x %d seeds per method and for random removal%n", p.removalQueries(), p.fractions().length, s.seeds());
      Map<String, Scores> chosen = new LinkedHashMap<>(s.scores());
      if (p.removalMethods() != null) chosen.keySet().retainAll(p.removalMethods());
      if (chosen.isEmpty()) throw new IllegalArgumentException("subset removal for " + p.removalMethods() + ", none of which was scored (" + s.scores().keySet() + ")");
      SubsetRemoval.Result sr = SubsetRemoval.run(s.cacheRoot(), s.configJson(), n, q, chosen, better,
          new SubsetRemoval.Options(p.fractions(), p.removalQueries(), s.seeds(), s.threads(), 17), s.retrainer());
      if (sr.queries().length == 0) {
        report.note("Subset removal skipped: none of the " + q + " queries is right (margin > 0) in every full-data retrain.");
      } else {
        removalReport(s, sr, better, unit, report);
      }
    }

    if (s.corrupted() != null) mislabelReport(s, p, report);
    if (p.panelQueries() > 0) panels(s, p, better, report);
  }

  /** Mislabel detection by each method's self-influence, against random inspection. */
  private static void mislabelReport(Setup s, Plan p, Report report) throws Exception {
    int n = s.task().numTrain();
    System.out.println("mislabel detection by self-influence:");
    boolean[] bad = MislabelDetection.mask(n, s.corrupted());
    Map<String, Double> secs = new LinkedHashMap<>();
    List<SelfInfluences.Method> methods = new ArrayList<>(SelfInfluences.methods(s.run(), s.task()));
    if (p.selfInfluenceMethods() != null) methods.removeIf(m -> !p.selfInfluenceMethods().contains(m.name()));
    Map<String, double[]> self = SelfInfluences.all(methods, secs);
    int points = 100;
    double[] x = new double[points + 1], diag = new double[points + 1];
    for (int i = 0; i <= points; i++) x[i] = diag[i] = (double) i / points;
    Map<String, double[]> curves = new LinkedHashMap<>();
    Map<String, Object> json = new LinkedHashMap<>();
    StringBuilder md = new StringBuilder(s.corrupted().length + " of " + n + " training labels corrupted. Training points inspected in decreasing self-influence; fraction of the corrupted found.\n\n"
        + "| method | area | found @10% | found @20% | found @30% | seconds |\n|---|---|---|---|---|---|\n");
    for (var e : self.entrySet()) {
      MislabelDetection.Curve c = MislabelDetection.curve(e.getValue(), bad);
      curves.put(e.getKey(), MislabelDetection.sampled(c, points));
      md.append(String.format(Locale.ROOT, "| %s | %.3f | %.3f | %.3f | %.3f | %.1f |%n", e.getKey(), c.area(), c.at(0.1), c.at(0.2), c.at(0.3), secs.get(e.getKey())));
      json.put(e.getKey(), ordered("area", c.area(), "found_at_10", c.at(0.1), "found_at_20", c.at(0.2), "found_at_30", c.at(0.3), "seconds", secs.get(e.getKey())));
    }
    md.append("| random | 0.500 | 0.100 | 0.200 | 0.300 | |\n");
    curves.put("random", diag);
    Plots.curves("Mislabel detection by self-influence", "fraction of training set inspected", "fraction of corrupted labels found", x, curves, s.out().resolve("mislabel-detection.png"));
    report.figure("mislabel-detection.png", "Mislabeled-example detection: corrupted labels found against the fraction inspected, by self-influence");
    report.result("mislabel_detection", ordered("corrupted", s.corrupted().length, "methods", json));
    report.section("Mislabel detection", md.toString());
  }

  /** Image panels of the first queries for two methods, for 28×28 classification data. */
  private static void panels(Setup s, Plan p, boolean better, Report report) throws java.io.IOException {
    AttributionTask task = s.task();
    Dataset train = task.train();
    if (!train.isClassification() || train.inputSize() != 28 * 28) return;
    IntFunction<String> names = train.numClasses() == 10 ? ImagePanels.FASHION_MNIST_CLASSES::get : c -> "class " + c;
    int[] qs = new int[Math.min(p.panelQueries(), task.numQueries())];
    for (int i = 0; i < qs.length; i++) qs[i] = i;
    boolean[] bad = s.corrupted() == null ? null : MislabelDetection.mask(task.numTrain(), s.corrupted());
    List<String> md = new ArrayList<>();
    for (String m : panelMethods(s.scores())) {
      String png = "panel-" + m.replaceAll("[^A-Za-z0-9.-]+", "_") + ".png";
      ImagePanels.methodPanel(m, s.scores().get(m).values(), better, train, task.queries(), qs, p.panelK(), bad, names, 28, 28, s.out().resolve(png));
      md.add("![" + m + "](" + png + ")");
    }
    report.section("Image panels", "Each query beside its " + p.panelK() + " most supporting and " + p.panelK() + " most opposing training images.\n\n" + String.join("\n\n", md));
  }

  private static void removalReport(Setup s, SubsetRemoval.Result sr, boolean better, String unit, Report report) throws java.io.IOException {
    int n = s.task().numTrain();
    Path out = s.out();
    double[] x = new double[sr.counts().length];
    for (int i = 0; i < x.length; i++) x[i] = 100.0 * sr.counts()[i] / n;
    Map<String, double[]> harm = new LinkedHashMap<>(), flips = new LinkedHashMap<>();
    Map<String, Object> json = new LinkedHashMap<>();
    StringBuilder md = new StringBuilder("Each of " + sr.queries().length + " queries" + (better ? " (every full-data retrain right)" : "") + " retrained " + s.seeds()
        + " times without its k most supporting points per method, or k random points; harm = mean paired " + unit + " against the full-data retrains.\n\n| method |");
    for (int k : sr.counts()) md.append(" k=").append(k).append(" |");
    md.append("\n|---|");
    for (int k : sr.counts()) md.append("---|");
    md.append('\n');
    Map<String, SubsetRemoval.Curve> all = new LinkedHashMap<>(sr.methods());
    all.put("random", sr.random());
    all.forEach((m, c) -> {
      harm.put(m, c.harm());
      if (better) flips.put(m, c.flips());
      md.append("| ").append(m).append(" |");
      for (int i = 0; i < c.harm().length; i++) {
        md.append(String.format(Locale.ROOT, " %.4f", c.harm()[i]));
        if (better) md.append(String.format(Locale.ROOT, " (%.0f%% flip)", 100 * c.flips()[i]));
        md.append(" |");
      }
      md.append('\n');
      json.put(m, better ? ordered("harm", c.harm(), "flip_fraction", c.flips()) : ordered("harm", c.harm()));
      if (sr.methods().containsKey(m)) report.methodFigure(m, "removal " + unit + " @" + sr.counts()[sr.counts().length - 1], c.harm()[c.harm().length - 1]);
    });
    Plots.curves("Subset removal: query " + unit, "k (% of training set)", "mean " + unit, x, harm, out.resolve("subset-removal.png"));
    report.figure("subset-removal.png", "Subset removal: mean " + unit + " against k, per method and for random removal");
    if (better) {
      Plots.curves("Subset removal: queries flipped", "k (% of training set)", "fraction flipped", x, flips, out.resolve("subset-removal-flips.png"));
      report.figure("subset-removal-flips.png", "Subset removal: fraction of queries whose prediction flips (right in fewer than half the seeds)");
    }
    report.result("subset_removal", ordered("queries", sr.queries(), "k", sr.counts(), "seeds", s.seeds(), "measure", unit, "methods", json));
    report.section("Subset removal", md.toString());
  }

  /** A map in the order given (summary.json keeps it): key, value, key, value, ... */
  static Map<String, Object> ordered(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
    return m;
  }

  /** SOURCE (the first listed) and EK-FAC influence where present, else the first two methods. */
  static List<String> panelMethods(Map<String, Scores> scores) {
    List<String> out = new ArrayList<>();
    scores.keySet().stream().filter(k -> k.startsWith("SOURCE")).findFirst().ifPresent(out::add);
    if (scores.containsKey("EK-FAC influence")) out.add("EK-FAC influence");
    for (String k : scores.keySet()) if (out.size() < 2 && !out.contains(k)) out.add(k);
    return out;
  }
}
