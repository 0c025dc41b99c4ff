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
 * The gradient and a Hessian-vector product (reverse over reverse: forward, backward with the graph
 * recorded, backward of ⟨∇L, v⟩) of the mean cross-entropy of an MLP 784-256-256-10 on a batch of
 * 128, in float32 and float64. Both include the forward pass, as a caller pays it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC"})
public class DerivativesBench {
  @Param({"784-256-256-10/128"})
  public String mlp;

  @Param({"float32", "float64"})
  public String dtype;

  @Param({"2", "1"})
  public int threads;

  private MlpWorkload w;
  private List<Tensor> v;

  @Setup
  public void setup() {
    w = MlpWorkload.parse(mlp, DTypeParam.parse(dtype), 42);
    v = w.direction(7);
  }

  @Benchmark
  public List<Tensor> gradient() {
    return Parallel.withThreads(threads, w::gradient);
  }

  @Benchmark
  public List<Tensor> hvp() {
    return Parallel.withThreads(threads, () -> w.hvp(v));
  }
}
