package dev.unroll.experiments.eval;

import dev.unroll.autodiff.Rng;
import dev.unroll.tda.Scores;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * Leave-one-out correlation: for a seeded sample of S training points, the actual effect of
 * removing point m on query q is Δ(q, m) = mean_r f_q(θ_r(D∖{m})) − mean_r f_q(θ_r(D)), with the
 * same seeds r on both sides (paired). Since τ(q, m) predicts exactly this change (method.md §1,
 * same sign), each method is judged by the Pearson and Spearman correlation over the S points
 * between τ(q, ·) and Δ(q, ·), per query, averaged over queries with a bootstrap interval
 * ({@link Lds#summarize}). This is LDS with α = 1 − 1/N and singleton subsets. One retrain per
 * point and seed serves every query.
 */
public final class LeaveOneOut {
  private LeaveOneOut() {}

  /** @param points how many training points to leave out (S) */
  public record Options(int points, int seeds, int threads, long seed) {}

  /** Correlations of one method: per query, and their means with 95% bootstrap intervals. */
  public record Correlation(Lds.Result pearson, Lds.Result spearman) {}

  /**
   * @param points the left-out training points
   * @param actual Δ[q][s] for query q and left-out point points[s]
   */
  public record Result(int[] points, double[][] actual, Map<String, Correlation> methods) {}

  /** S distinct points: the first S of a seeded permutation of 0..n−1. */
  public static int[] sample(int n, int s, long seed) {
    if (s < 2 || s > n) throw new IllegalArgumentException("leave-one-out needs between 2 and " + n + " points, got " + s);
    return Arrays.copyOf(new Rng(seed).permutation(n), s);
  }

  /** Retrains without each sampled point (cached under {@code root}, see {@link GroundTruth}) and correlates. */
  public static Result run(Path root, String configJson, int numTrain, int numQueries, Map<String, Scores> scores, Options o, GroundTruth.Retrainer retrainer)
      throws Exception {
    int[] points = sample(numTrain, o.points(), o.seed());
    double[][] full = Retrains.full(root, configJson, numTrain, o.seeds(), numQueries, o.threads(), retrainer);
    boolean[][] masks = new boolean[points.length][];
    for (int s = 0; s < points.length; s++) masks[s] = Retrains.without(numTrain, new int[] {points[s]}, 1);
    GroundTruth gt = Retrains.run(root, configJson, masks, o.seeds(), numQueries, o.threads(), retrainer);
    double[][] actual = new double[numQueries][points.length];
    for (int s = 0; s < points.length; s++) {
      for (int r = 0; r < o.seeds(); r++) {
        double[] after = gt.measurements(s, r);
        for (int q = 0; q < numQueries; q++) actual[q][s] += (after[q] - full[r][q]) / o.seeds();
      }
    }
    Map<String, Correlation> out = new LinkedHashMap<>();
    for (var e : scores.entrySet()) out.put(e.getKey(), correlate(e.getKey(), e.getValue().values(), points, actual, o.seed()));
    return new Result(points, actual, out);
  }

  /**
   * Per-query Pearson and Spearman between τ[q][points[s]] and actual[q][s]; a query where either
   * side is constant has no correlation (NaN, excluded from the mean).
   */
  public static Correlation correlate(String method, double[][] tau, int[] points, double[][] actual, long bootstrapSeed) {
    if (tau.length != actual.length) throw new IllegalArgumentException("scores of '" + method + "' cover " + tau.length + " queries, the retrains " + actual.length);
    double[] p = new double[tau.length], sp = new double[tau.length];
    for (int q = 0; q < tau.length; q++) {
      double[] x = new double[points.length];
      for (int s = 0; s < points.length; s++) x[s] = tau[q][points[s]];
      boolean degenerate = constant(x) || constant(actual[q]);
      p[q] = degenerate ? Double.NaN : new PearsonsCorrelation().correlation(x, actual[q]);
      sp[q] = degenerate ? Double.NaN : new SpearmansCorrelation().correlation(x, actual[q]);
    }
    return new Correlation(Lds.summarize(p, bootstrapSeed), Lds.summarize(sp, bootstrapSeed));
  }

  private static boolean constant(double[] x) {
    for (double d : x) if (d != x[0]) return false;
    return true;
  }
}
