package dev.unroll.experiments.eval;

import dev.unroll.nn.Margin;
import dev.unroll.nn.Measurement;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Which training points support a query. Scores follow method.md §1: τ(q, m) &gt; 0 means removing
 * z_m <em>increases</em> f(z_q). Whether that hurts depends on the measurement: for an error or a
 * loss (lower is better) the points whose removal increases f are the supporting ones, so support
 * is τ; for the margin (higher is better) removing a supporting point lowers f, so support is −τ.
 * The same orientation turns a measured change of f into the harm done by a removal: Δf for
 * error-like measurements, −Δf for the margin.
 */
public final class Support {
  private Support() {}

  /** True for measurements where a larger value is better (the classification margin). */
  public static boolean higherIsBetter(Measurement f) {
    return f instanceof Margin;
  }

  /** s = τ when lower f is better, −τ when higher f is better: larger s = more supporting. */
  public static double[] support(double[] tau, boolean higherIsBetter) {
    double[] s = tau.clone();
    if (higherIsBetter) for (int i = 0; i < s.length; i++) s[i] = -s[i];
    return s;
  }

  /** The harm of going from {@code before} to {@code after}: after − before, negated when higher f is better. */
  public static double harm(double before, double after, boolean higherIsBetter) {
    return higherIsBetter ? before - after : after - before;
  }

  /**
   * Indices of the k largest values, largest first; equal values in ascending index order (a fixed
   * tie-break, so selections are reproducible). NaN is rejected: it has no place in a ranking.
   */
  public static int[] topK(double[] v, int k) {
    if (k < 0 || k > v.length) throw new IllegalArgumentException("top " + k + " of " + v.length + " values");
    for (int i = 0; i < v.length; i++) if (Double.isNaN(v[i])) throw new IllegalArgumentException("score " + i + " is NaN: cannot rank");
    Integer[] idx = new Integer[v.length];
    for (int i = 0; i < idx.length; i++) idx[i] = i;
    Arrays.sort(idx, Comparator.<Integer>comparingDouble(i -> -v[i]).thenComparingInt(i -> i));
    int[] out = new int[k];
    for (int i = 0; i < k; i++) out[i] = idx[i];
    return out;
  }
}
