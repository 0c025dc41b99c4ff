package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Parallel;
import dev.unroll.autodiff.Tensor;
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
 * One plain SGD step (forward, mean loss, backward, in-place update) of the MLPs of
 * docs/performance.md, float32: 784-256-256-10 at batch 128 (MNIST-sized, mostly GEMM) and
 * 8-128-128-1 at batch 32 (Concrete-sized, mostly per-op overhead), on one and two kernel threads.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class SgdStepBench {
  @Param({"784-256-256-10/128", "8-128-128-1/32"})
  public String mlp;

  @Param({"2", "1"})
  public int threads;

  private MlpWorkload w;

  @Setup
  public void setup() {
    w = MlpWorkload.parse(mlp, DType.F32, 42);
  }

  @Benchmark
  public Tensor step() {
    return Parallel.withThreads(threads, w::sgdStep);
  }
}
