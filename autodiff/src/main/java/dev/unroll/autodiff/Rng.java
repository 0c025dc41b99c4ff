package dev.unroll.autodiff;

import java.util.SplittableRandom;

/**
 * Seeded random numbers (SplittableRandom: the same seed gives the same stream on every JVM).
 * Normals by the Marsaglia polar method; the second variate of each pair is cached, so the
 * stream is a pure function of the seed and the sequence of calls.
 */
public final class Rng {
  private final SplittableRandom r;
  private double spare;
  private boolean hasSpare;

  public Rng(long seed) {
    r = new SplittableRandom(seed);
  }

  /** An independent child stream (deterministic given this stream's state). */
  public Rng split() {
    return new Rng(r.nextLong());
  }

  /** Uniform in [0, 1). */
  public double uniform() {
    return r.nextDouble();
  }

  /** Uniform integer in [0, bound). */
  public int nextInt(int bound) {
    return r.nextInt(bound);
  }

  public long nextLong() {
    return r.nextLong();
  }

  /** Standard normal N(0, 1). */
  public double normal() {
    if (hasSpare) {
      hasSpare = false;
      return spare;
    }
    double u, v, s;
    do {
      u = 2 * r.nextDouble() - 1;
      v = 2 * r.nextDouble() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s == 0);
    double m = Math.sqrt(-2 * Math.log(s) / s);
    spare = v * m;
    hasSpare = true;
    return u * m;
  }

  /** A seeded permutation of 0..n-1 (Fisher-Yates). */
  public int[] permutation(int n) {
    int[] p = new int[n];
    for (int i = 0; i < n; i++) p[i] = i;
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p;
  }
}
