package dev.unroll.experiments.eval;

import dev.unroll.autodiff.Rng;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/**
 * The Linear Datamodeling Score (Park et al. 2023; method.md §6). For query q and M subsets S_j,
 * the predicted measurement of the model trained on S_j is −Σ_{m ∈ S_j} τ(q, m) (τ > 0 means
 * removing m increases f, so including it lowers f by τ); LDS(q) is the Spearman rank correlation
 * over j between that prediction and the measurement actually obtained by retraining on S_j
 * (averaged over seeds). The score is the mean over queries, with a percentile bootstrap interval
 * over queries.
 */
public final class Lds {
  private Lds() {}

  /** Mean LDS over queries with its 95% bootstrap interval, and the per-query values. */
  public record Result(double mean, double low, double high, double[] perQuery) {}

  /**
   * Predicted group effects, [M][Q]: predicted[j][q] = −Σ_{m ∈ S_j} τ[q][m].
   *
   * @param scores τ [Q][N]
   * @param masks  masks[j][m] true when m is in subset j, [M][N]
   */
  public static double[][] predicted(double[][] scores, boolean[][] masks) {
    int m = masks.length, q = scores.length;
    double[][] p = new double[m][q];
    for (int j = 0; j < m; j++) {
      for (int k = 0; k < q; k++) {
        double s = 0;
        double[] row = scores[k];
        if (row.length != masks[j].length) throw new IllegalArgumentException("scores cover " + row.length + " training points but subset masks cover " + masks[j].length);
        for (int i = 0; i < row.length; i++) if (masks[j][i]) s += row[i];
        p[j][k] = -s;
      }
    }
    return p;
  }

  /**
   * LDS from scores, subset masks and actual measurements {@code actual[j][q]} (mean over retraining
   * seeds). A query whose actual or predicted values are constant over subsets has no rank
   * correlation and is excluded (NaN in perQuery).
   */
  public static Result score(double[][] scores, boolean[][] masks, double[][] actual, long bootstrapSeed) {
    double[][] pred = predicted(scores, masks);
    int m = masks.length, q = scores.length;
    if (actual.length != m) throw new IllegalArgumentException(actual.length + " rows of measurements for " + m + " subsets");
    double[] per = new double[q];
    SpearmansCorrelation sc = new SpearmansCorrelation();
    for (int k = 0; k < q; k++) {
      double[] a = new double[m], p = new double[m];
      for (int j = 0; j < m; j++) {
        a[j] = actual[j][k];
        p[j] = pred[j][k];
      }
      per[k] = constant(a) || constant(p) ? Double.NaN : sc.correlation(a, p);
    }
    return summarize(per, bootstrapSeed);
  }

  /** Mean of the finite values and a 95% percentile bootstrap interval (2000 resamples, seeded). */
  public static Result summarize(double[] perQuery, long seed) {
    double[] v = java.util.Arrays.stream(perQuery).filter(Double::isFinite).toArray();
    if (v.length == 0) return new Result(Double.NaN, Double.NaN, Double.NaN, perQuery);
    double mean = java.util.Arrays.stream(v).average().orElse(Double.NaN);
    int reps = 2000;
    double[] means = new double[reps];
    Rng r = new Rng(seed);
    for (int b = 0; b < reps; b++) {
      double s = 0;
      for (int i = 0; i < v.length; i++) s += v[r.nextInt(v.length)];
      means[b] = s / v.length;
    }
    java.util.Arrays.sort(means);
    return new Result(mean, means[(int) Math.floor(0.025 * (reps - 1))], means[(int) Math.ceil(0.975 * (reps - 1))], perQuery);
  }

  private static boolean constant(double[] x) {
    for (double d : x) if (d != x[0]) return false;
    return true;
  }

  /**
   * M subsets of exactly ⌊αN⌋ points, drawn without replacement by a seeded permutation per subset.
   */
  public static boolean[][] subsets(int n, double alpha, int m, long seed) {
    if (!(alpha > 0 && alpha <= 1)) throw new IllegalArgumentException("alpha must be in (0, 1], got " + alpha);
    int k = (int) Math.floor(alpha * n);
    if (k < 1) throw new IllegalArgumentException("alpha " + alpha + " keeps no point of " + n);
    Rng r = new Rng(seed);
    boolean[][] masks = new boolean[m][n];
    for (int j = 0; j < m; j++) {
      int[] p = r.permutation(n);
      for (int i = 0; i < k; i++) masks[j][p[i]] = true;
    }
    return masks;
  }
}
