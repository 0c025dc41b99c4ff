package dev.unroll.benchmarks;

import dev.unroll.autodiff.Parallel;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The machine's measured floating-point peak, the denominator of the GEMM figures: chains of
 * independent vector fused multiply-adds with no memory traffic, on one thread or on every kernel
 * thread at once. Each invocation performs {@link #flop} floating-point operations (an FMA counts
 * two). Ten accumulators cover the FMA latency times the number of FMA pipes of current x86 cores
 * without spilling the sixteen AVX2 registers. Invocations are timed one by one: the report takes
 * the fastest as the peak, since on a shared machine preemption only ever slows an invocation down.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class PeakBench {
  /** Loop trips per thread and invocation. */
  static final int TRIPS = 1 << 18;
  /** Independent accumulators (FMAs per trip). */
  static final int CHAINS = 10;

  @Param({"float32", "float64"})
  public String dtype;

  @Param({"1", "2"})
  public int threads;

  /** Floating-point operations of one invocation: trips × chains × lanes × 2 per thread. */
  public static double flop(String dtype, int threads) {
    int lanes = DTypeParam.parse(dtype) == dev.unroll.autodiff.DType.F32 ? FloatVector.SPECIES_PREFERRED.length() : DoubleVector.SPECIES_PREFERRED.length();
    return 2.0 * TRIPS * CHAINS * lanes * Math.min(threads, Parallel.configuredThreads());
  }

  @Benchmark
  public double fma() throws InterruptedException {
    boolean f32 = DTypeParam.parse(dtype) == dev.unroll.autodiff.DType.F32;
    int t = Math.min(threads, Parallel.configuredThreads());
    double[] out = new double[t];
    // Each chunk waits until all have started: a pool thread that wakes late could otherwise find
    // the caller already done with its chunk and claiming the next, so that the chains ran one
    // after the other and the "t-thread peak" measured one thread's.
    CountDownLatch started = new CountDownLatch(t);
    Parallel.forChunks(t, t, c -> {
      started.countDown();
      try {
        started.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      out[c] = f32 ? chains32() : chains64();
    });
    double s = 0;
    for (double v : out) s += v;
    return s;
  }

  // acc ← acc·a + b converges to b / (1 − a): no overflow, no subnormals, and the JIT cannot fold it.
  static double chains32() {
    var sp = FloatVector.SPECIES_PREFERRED;
    FloatVector a = FloatVector.broadcast(sp, 0.999f), b = FloatVector.broadcast(sp, 1e-3f);
    FloatVector c0 = FloatVector.broadcast(sp, 0f), c1 = FloatVector.broadcast(sp, 1f), c2 = FloatVector.broadcast(sp, 2f),
        c3 = FloatVector.broadcast(sp, 3f), c4 = FloatVector.broadcast(sp, 4f), c5 = FloatVector.broadcast(sp, 5f),
        c6 = FloatVector.broadcast(sp, 6f), c7 = FloatVector.broadcast(sp, 7f), c8 = FloatVector.broadcast(sp, 8f),
        c9 = FloatVector.broadcast(sp, 9f);
    for (int i = 0; i < TRIPS; i++) {
      c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b); c4 = c4.fma(a, b);
      c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b); c8 = c8.fma(a, b); c9 = c9.fma(a, b);
    }
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
  }

  static double chains64() {
    var sp = DoubleVector.SPECIES_PREFERRED;
    DoubleVector a = DoubleVector.broadcast(sp, 0.999), b = DoubleVector.broadcast(sp, 1e-3);
    DoubleVector c0 = DoubleVector.broadcast(sp, 0), c1 = DoubleVector.broadcast(sp, 1), c2 = DoubleVector.broadcast(sp, 2),
        c3 = DoubleVector.broadcast(sp, 3), c4 = DoubleVector.broadcast(sp, 4), c5 = DoubleVector.broadcast(sp, 5),
        c6 = DoubleVector.broadcast(sp, 6), c7 = DoubleVector.broadcast(sp, 7), c8 = DoubleVector.broadcast(sp, 8),
        c9 = DoubleVector.broadcast(sp, 9);
    for (int i = 0; i < TRIPS; i++) {
      c0 = c0.fma(a, b); c1 = c1.fma(a, b); c2 = c2.fma(a, b); c3 = c3.fma(a, b); c4 = c4.fma(a, b);
      c5 = c5.fma(a, b); c6 = c6.fma(a, b); c7 = c7.fma(a, b); c8 = c8.fma(a, b); c9 = c9.fma(a, b);
    }
    return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
  }
}
