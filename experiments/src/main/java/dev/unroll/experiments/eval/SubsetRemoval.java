package dev.unroll.experiments.eval;

import dev.unroll.autodiff.Rng;
import dev.unroll.tda.Scores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Subset removal (method.md §6): for each evaluated query, remove its k most supporting training
 * points according to a method ({@link Support}: the largest τ for an error, the most negative τ
 * for the margin), retrain R times, and measure the harm to the query: the mean over seeds of the
 * paired change of f against the full-data retrain with the same seed, oriented so that positive
 * means worse (error increase; margin drop). For classification also the fraction of queries that
 * flip: those whose retrains are right (margin &gt; 0, i.e. p_y &gt; ½) in fewer than half of the seeds
 * after removal; only queries every full-data seed gets right are evaluated. The baseline removes
 * k random points (one seeded permutation per query, its first k, so the sets are nested as the
 * methods' top-k are). A method that ranks well harms more than random at every k.
 */
public final class SubsetRemoval {
  private SubsetRemoval() {}

  /**
   * @param fractions k as fractions of N (each rounded, at least 1 point)
   * @param queries   how many queries to evaluate (the first eligible ones)
   * @param seeds     retrains per removal (R)
   */
  public record Options(double[] fractions, int queries, int seeds, int threads, long seed) {
    public static Options defaults(int seeds, int threads) {
      return new Options(new double[] {0.01, 0.02, 0.05, 0.10}, 5, seeds, threads, 17);
    }
  }

  /**
   * One method's curve: harm[i] is the mean over evaluated queries of the harm of removing
   * counts[i] points; perQuery[a][i] per query; flips[i] the fraction flipped (NaN for regression).
   */
  public record Curve(double[] harm, double[] flips, double[][] perQuery) {}

  /**
   * @param queries indices of the evaluated queries; empty (no curves, random null) when no query
   *     is right in every full-data retrain
   * @param counts  k for each fraction
   */
  public record Result(int[] queries, int[] counts, double[] fractions, Map<String, Curve> methods, Curve random) {}

  /** k = max(1, round(fraction · n)) for each fraction. */
  public static int[] counts(int n, double[] fractions) {
    int[] k = new int[fractions.length];
    for (int i = 0; i < k.length; i++) {
      if (!(fractions[i] > 0 && fractions[i] < 1)) throw new IllegalArgumentException("removal fraction must be in (0, 1), got " + fractions[i]);
      k[i] = Math.max(1, (int) Math.round(fractions[i] * n));
    }
    return k;
  }

  /**
   * Runs the evaluation; every retrain is cached under {@code root} by {@code configJson} (see
   * {@link GroundTruth}).
   *
   * @param scores τ per method, each [Q][N] over the retrainer's queries and training points
   */
  public static Result run(Path root, String configJson, int numTrain, int numQueries, Map<String, Scores> scores, boolean higherIsBetter, Options o,
      GroundTruth.Retrainer retrainer) throws Exception {
    for (var e : scores.entrySet()) {
      if (e.getValue().numQueries() != numQueries || e.getValue().numTrain() != numTrain) {
        throw new IllegalArgumentException("scores of '" + e.getKey() + "' are " + e.getValue().numQueries() + " x " + e.getValue().numTrain() + ", the retrainer measures " + numQueries + " queries over " + numTrain + " training points");
      }
    }
    int[] counts = counts(numTrain, o.fractions());
    double[][] full = Retrains.full(root, configJson, numTrain, o.seeds(), numQueries, o.threads(), retrainer);
    int[] queries = eligible(full, numQueries, o.queries(), higherIsBetter);
    if (queries.length == 0) return new Result(queries, counts, o.fractions().clone(), Map.of(), null);

    Map<String, Curve> methods = new LinkedHashMap<>();
    for (var e : scores.entrySet()) {
      List<int[]> order = new ArrayList<>();
      for (int q : queries) order.add(Support.topK(Support.support(e.getValue().values()[q], higherIsBetter), counts[counts.length - 1]));
      methods.put(e.getKey(), measure(root, configJson, numTrain, numQueries, queries, counts, order, full, higherIsBetter, o, retrainer));
    }
    List<int[]> random = new ArrayList<>();
    for (int q : queries) random.add(new Rng(o.seed() * 1_000_003L + q).permutation(numTrain));
    Curve rnd = measure(root, configJson, numTrain, numQueries, queries, counts, random, full, higherIsBetter, o, retrainer);
    return new Result(queries, counts, o.fractions().clone(), methods, rnd);
  }

  /** The first {@code max} queries; for classification only those with margin &gt; 0 in every full-data seed. */
  static int[] eligible(double[][] full, int numQueries, int max, boolean higherIsBetter) {
    List<Integer> out = new ArrayList<>();
    for (int q = 0; q < numQueries && out.size() < max; q++) {
      boolean ok = true;
      if (higherIsBetter) for (double[] seed : full) ok &= seed[q] > 0;
      if (ok) out.add(q);
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Retrains without the first counts[i] points of each query's order and measures the harm. */
  private static Curve measure(Path root, String configJson, int n, int numQueries, int[] queries, int[] counts, List<int[]> order, double[][] full,
      boolean higherIsBetter, Options o, GroundTruth.Retrainer retrainer) throws Exception {
    int a = queries.length, c = counts.length, seeds = o.seeds();
    boolean[][] masks = new boolean[a * c][];
    for (int qi = 0; qi < a; qi++) for (int i = 0; i < c; i++) masks[qi * c + i] = Retrains.without(n, order.get(qi), counts[i]);
    GroundTruth gt = Retrains.run(root, configJson, masks, seeds, numQueries, o.threads(), retrainer);
    double[][] per = new double[a][c];
    double[] harm = new double[c], flips = new double[c];
    for (int qi = 0; qi < a; qi++) {
      int q = queries[qi];
      for (int i = 0; i < c; i++) {
        double h = 0;
        int right = 0;
        for (int r = 0; r < seeds; r++) {
          double after = gt.measurements(qi * c + i, r)[q];
          h += Support.harm(full[r][q], after, higherIsBetter) / seeds;
          if (after > 0) right++;
        }
        per[qi][i] = h;
        harm[i] += h / a;
        if (2 * right < seeds) flips[i] += 1.0 / a;
      }
    }
    if (!higherIsBetter) java.util.Arrays.fill(flips, Double.NaN);
    return new Curve(harm, flips, per);
  }
}
