package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Parallel;
import dev.unroll.autodiff.Tensor;
import java.util.List;
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
 * Per-example gradients of every parameter of an MLP 784-256-256-10 (float32) for 1000 examples:
 * by the outer-product identity from one forward and one backward pass
 * ({@link dev.unroll.nn.PerExampleGradients}), and, as its baseline, by a loop of 1000
 * single-example backward passes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 8, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g"})
public class PerExampleBench {
  @Param({"784-256-256-10/1000"})
  public String mlp;

  @Param({"2"})
  public int threads;

  private MlpWorkload w;

  @Setup
  public void setup() {
    w = MlpWorkload.parse(mlp, DType.F32, 42);
  }

  @Benchmark
  public List<Tensor> outerProduct() {
    return Parallel.withThreads(threads, w::perExampleGradients);
  }

  @Benchmark
  public List<Tensor> loop() {
    return Parallel.withThreads(threads, w::perExampleGradientsLoop);
  }
}
