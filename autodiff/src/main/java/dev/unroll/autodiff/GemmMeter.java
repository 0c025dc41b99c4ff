package dev.unroll.autodiff;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A quick GEMM throughput probe for the self-check command: square C = A·B on {@link SimdGemm}.
 * It is a sanity figure, not a benchmark (the JMH benchmarks in module benchmarks are).
 */
public final class GemmMeter {
  private GemmMeter() {}

  /**
   * Median GFLOP/s (2·size³ floating-point operations per product) of square GEMMs of the given
   * size on {@code threads} threads (clamped to the configured pool), timed for at least
   * {@code minMillis} after a warm-up of about half as long. Each timed sample repeats the product
   * until it lasts at least a millisecond so that small sizes are timed reliably.
   */
  public static double gflops(boolean float64, int size, int threads, long minMillis) {
    if (size < 1) throw new IllegalArgumentException("GemmMeter: size must be ≥ 1, got " + size);
    if (threads < 1) throw new IllegalArgumentException("GemmMeter: threads must be ≥ 1, got " + threads);
    if (minMillis < 0) throw new IllegalArgumentException("GemmMeter: minMillis must be ≥ 0, got " + minMillis);
    int n = size;
    SplittableRandom rng = new SplittableRandom(42);
    Runnable product;
    if (float64) {
      double[] a = new double[n * n], b = new double[n * n], c = new double[n * n];
      for (int i = 0; i < a.length; i++) {
        a[i] = rng.nextDouble() - 0.5;
        b[i] = rng.nextDouble() - 0.5;
      }
      product = () -> SimdGemm.gemm(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false);
    } else {
      float[] a = new float[n * n], b = new float[n * n], c = new float[n * n];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) (rng.nextDouble() - 0.5);
        b[i] = (float) (rng.nextDouble() - 0.5);
      }
      product = () -> SimdGemm.gemm(false, false, n, n, n, a, 0, n, b, 0, n, c, 0, n, false);
    }
    double flop = 2.0 * n * n * n;
    return Parallel.withThreads(threads, () -> {
      // Warm-up: lets the JIT compile the kernels and sizes the repeat count of a sample.
      long warmEnd = System.nanoTime() + Math.max(1, minMillis / 2) * 1_000_000L;
      int reps = 1;
      do {
        long t0 = System.nanoTime();
        for (int r = 0; r < reps; r++) product.run();
        if (System.nanoTime() - t0 < 1_000_000L) reps *= 2;
      } while (System.nanoTime() < warmEnd);
      double[] samples = new double[16];
      int count = 0;
      long end = System.nanoTime() + minMillis * 1_000_000L;
      do {
        long t0 = System.nanoTime();
        for (int r = 0; r < reps; r++) product.run();
        long dt = Math.max(1, System.nanoTime() - t0);
        if (count == samples.length) samples = Arrays.copyOf(samples, 2 * count);
        samples[count++] = flop * reps / dt;
      } while (System.nanoTime() < end || count < 3);
      double[] s = Arrays.copyOf(samples, count);
      Arrays.sort(s);
      return count % 2 == 1 ? s[count / 2] : 0.5 * (s[count / 2 - 1] + s[count / 2]);
    });
  }
}
