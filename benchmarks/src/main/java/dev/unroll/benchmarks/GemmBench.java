package dev.unroll.benchmarks;

import dev.unroll.autodiff.Parallel;
import dev.unroll.autodiff.ScalarKernels;
import dev.unroll.autodiff.SimdGemm;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * GEMM C = op(A)·op(B) on {@link SimdGemm}: square sizes and the shapes of small-MLP training
 * (forward A·B, and the backward products Aᵀ·B for the weight gradient and A·Bᵀ for the input
 * gradient), float32 and float64, on 1 and 2 threads. Time per product (sample mode: the p0.50
 * line is the median); GFLOP/s = 2·m·n·k / time.
 *
 * <p>A shape is {@code MxKxN} (op(A) is M×K, op(B) is K×N) with an optional {@code :TN} or
 * {@code :NT} for a transposed A or B, or {@code sqS} for S×S×S.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class GemmBench {
  @Param({"sq256", "sq512", "sq1024", "sq2048",
      "128x784x256", "784x128x256:TN", "128x256x784:NT",
      "32x128x128", "128x32x128:TN", "32x128x128:NT",
      "128x256x10", "256x128x10:TN", "128x10x256:NT"})
  public String shape;

  @Param({"float32", "float64"})
  public String dtype;

  @Param({"1", "2"})
  public int threads;

  Problem p;

  @Setup
  public void setup() {
    p = new Problem(shape, dtype.equals("float64"), 20240601L);
  }

  @Benchmark
  public void simd(Blackhole bh) {
    Parallel.withThreads(threads, p::simd);
    bh.consume(p.result());
  }

  /** The scalar reference kernel at small sizes: what {@code SimdKernels} is measured against. */
  @State(Scope.Benchmark)
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 3, time = 1)
  @Measurement(iterations = 5, time = 1)
  @Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
  public static class ScalarBaseline {
    @Param({"sq64", "sq128", "32x128x128"})
    public String shape;

    @Param({"float32", "float64"})
    public String dtype;

    Problem p;

    @Setup
    public void setup() {
      p = new Problem(shape, dtype.equals("float64"), 20240601L);
    }

    @Benchmark
    public void scalar(Blackhole bh) {
      p.scalar();
      bh.consume(p.result());
    }

    @Benchmark
    public void simdOneThread(Blackhole bh) {
      Parallel.withThreads(1, p::simd);
      bh.consume(p.result());
    }
  }

  /** Seeded operands of one shape, stored as the transpose flags say. */
  static final class Problem {
    final int m, n, k;
    final boolean ta, tb, f64;
    final float[] af, bf, cf;
    final double[] ad, bd, cd;

    Problem(String shape, boolean f64, long seed) {
      String[] parts = shape.split(":");
      int[] d;
      if (parts[0].startsWith("sq")) {
        int s = Integer.parseInt(parts[0].substring(2));
        d = new int[] {s, s, s};
      } else {
        String[] x = parts[0].split("x");
        if (x.length != 3) throw new IllegalArgumentException("shape " + shape + ": expected MxKxN[:TN|:NT] or sqS");
        d = new int[] {Integer.parseInt(x[0]), Integer.parseInt(x[1]), Integer.parseInt(x[2])};
      }
      m = d[0];
      k = d[1];
      n = d[2];
      ta = parts.length > 1 && parts[1].charAt(0) == 'T';
      tb = parts.length > 1 && parts[1].charAt(1) == 'T';
      this.f64 = f64;
      SplittableRandom r = new SplittableRandom(seed);
      if (f64) {
        ad = fill(r, m * k);
        bd = fill(r, k * n);
        cd = new double[m * n];
        af = bf = cf = null;
      } else {
        af = toFloat(fill(r, m * k));
        bf = toFloat(fill(r, k * n));
        cf = new float[m * n];
        ad = bd = cd = null;
      }
    }

    private static double[] fill(SplittableRandom r, int len) {
      double[] x = new double[len];
      for (int i = 0; i < len; i++) x[i] = r.nextDouble() - 0.5;
      return x;
    }

    private static float[] toFloat(double[] x) {
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) y[i] = (float) x[i];
      return y;
    }

    int lda() {
      return ta ? m : k;
    }

    int ldb() {
      return tb ? k : n;
    }

    void simd() {
      if (f64) SimdGemm.gemm(ta, tb, m, n, k, ad, 0, lda(), bd, 0, ldb(), cd, 0, n, false);
      else SimdGemm.gemm(ta, tb, m, n, k, af, 0, lda(), bf, 0, ldb(), cf, 0, n, false);
    }

    void scalar() {
      if (f64) ScalarKernels.gemm(ta, tb, m, n, k, ad, 0, lda(), bd, 0, ldb(), cd, 0, n, false);
      else ScalarKernels.gemm(ta, tb, m, n, k, af, 0, lda(), bf, 0, ldb(), cf, 0, n, false);
    }

    Object result() {
      return f64 ? cd : cf;
    }
  }
}
