package dev.unroll.experiments.eval;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Mislabeled-example detection by self-influence: inspect the training points in decreasing order
 * of a method's self-influence τ(z_m, z_m) (a mislabeled point is one the model must bend to fit,
 * so its own loss depends most on it) and count the corrupted labels found. The curve is
 * found(p) = (corrupted among the first pN inspected) / (all corrupted), at p = i/N for i = 0..N;
 * its area (trapezoids) is 1/2 for a random order (found(p) = p in expectation) and 1 − ρ/2 for a
 * perfect one, ρ the corrupted fraction.
 *
 * <p>Tied scores are inspected in an order drawn at random, and the curve is its expectation: a
 * tie group of g points holding c corrupted contributes c·t/g after t of its points. So a method
 * that scores every point alike (a cosine's self-similarity) gets exactly the random curve instead
 * of whatever the index order happens to say.
 */
public final class MislabelDetection {
  private MislabelDetection() {}

  /** found[i] = expected fraction of corrupted found after inspecting i points, i = 0..N; area under found(i/N). */
  public record Curve(double[] found, double area) {
    /** found(p) at the largest i/N ≤ p. */
    public double at(double p) {
      int n = found.length - 1;
      return found[(int) Math.floor(p * n + 1e-9)];
    }
  }

  public static Curve curve(double[] selfInfluence, boolean[] corrupted) {
    int n = selfInfluence.length;
    if (corrupted.length != n) throw new IllegalArgumentException(n + " self-influences for " + corrupted.length + " corruption flags");
    int total = 0;
    for (boolean b : corrupted) if (b) total++;
    if (total == 0) throw new IllegalArgumentException("no corrupted label: nothing to detect");
    for (int i = 0; i < n; i++) if (Double.isNaN(selfInfluence[i])) throw new IllegalArgumentException("self-influence " + i + " is NaN: cannot rank");
    Integer[] idx = new Integer[n];
    for (int i = 0; i < n; i++) idx[i] = i;
    Arrays.sort(idx, Comparator.comparingDouble(i -> -selfInfluence[i]));
    double[] found = new double[n + 1];
    int i = 0;
    double before = 0;
    while (i < n) {
      int j = i;
      int c = 0;
      while (j < n && selfInfluence[idx[j]] == selfInfluence[idx[i]]) {
        if (corrupted[idx[j]]) c++;
        j++;
      }
      int g = j - i;
      for (int t = 1; t <= g; t++) found[i + t] = (before + (double) c * t / g) / total;
      before += c;
      i = j;
    }
    double area = 0;
    for (int k = 0; k < n; k++) area += (found[k] + found[k + 1]) / (2.0 * n);
    return new Curve(found, area);
  }

  /** The curve at {@code points} + 1 evenly spaced fractions 0..1 (for plotting). */
  public static double[] sampled(Curve c, int points) {
    double[] y = new double[points + 1];
    for (int i = 0; i <= points; i++) y[i] = c.at((double) i / points);
    return y;
  }

  /** mask[i] = index i is among {@code corrupted}. */
  public static boolean[] mask(int n, int[] corrupted) {
    boolean[] m = new boolean[n];
    for (int i : corrupted) {
      if (i < 0 || i >= n) throw new IllegalArgumentException("corrupted index " + i + " outside 0.." + (n - 1));
      m[i] = true;
    }
    return m;
  }
}
