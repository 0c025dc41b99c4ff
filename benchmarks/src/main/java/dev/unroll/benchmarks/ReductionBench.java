package dev.unroll.benchmarks;

import dev.unroll.autodiff.BinaryOp;
import dev.unroll.autodiff.CpuKernels;
import dev.unroll.autodiff.SimdKernels;
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

/**
 * The reduction kernels of {@link CpuKernels}, SIMD beside the scalar reference: a sum and a
 * maximum of n contiguous elements, and the row accumulation acc += x (the step of a reduction over
 * leading axes, e.g. a bias gradient). n = 4096 stays in L1, n = 2²⁰ streams from memory.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class ReductionBench {
  @Param({"simd", "scalar"})
  public String kernels;

  @Param({"float32", "float64"})
  public String dtype;

  @Param({"4096", "1048576"})
  public int n;

  private CpuKernels k;
  private float[] xf, accf;
  private double[] xd, accd;

  @Setup
  public void setup() {
    k = switch (kernels) {
      case "simd" -> SimdKernels.INSTANCE;
      case "scalar" -> CpuKernels.SCALAR;
      default -> throw new IllegalArgumentException("kernels parameter '" + kernels + "': expected simd or scalar");
    };
    SplittableRandom rng = new SplittableRandom(42);
    if (DTypeParam.parse(dtype) == dev.unroll.autodiff.DType.F32) {
      xf = new float[n];
      accf = new float[n];
      for (int i = 0; i < n; i++) xf[i] = (float) (rng.nextDouble() - 0.5);
    } else {
      xd = new double[n];
      accd = new double[n];
      for (int i = 0; i < n; i++) xd[i] = rng.nextDouble() - 0.5;
    }
  }

  @Benchmark
  public double sum() {
    return xf != null ? k.sum(xf, 0, n) : k.sum(xd, 0, n);
  }

  @Benchmark
  public double max() {
    return xf != null ? k.max(xf, 0, n) : k.max(xd, 0, n);
  }

  /** acc += x; acc is returned so the work is consumed (its values grow linearly, never overflowing in a run). */
  @Benchmark
  public Object accumulate() {
    if (xf != null) {
      k.accumulate(BinaryOp.ADD, xf, 0, accf, 0, n);
      return accf;
    }
    k.accumulate(BinaryOp.ADD, xd, 0, accd, 0, n);
    return accd;
  }
}
