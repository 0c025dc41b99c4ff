package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.opencl.ClBackend;
import dev.unroll.autodiff.opencl.ClDevices;
import dev.unroll.autodiff.opencl.OpenCl;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link SgdStepBench}'s training step on an OpenCL device (parameter {@code device}, the N of
 * {@code UNROLL_DEVICE=opencl:N}), float32: the parameters, activations, gradients and the fused
 * in-place SGD update stay on the device; each step reads back only the loss, as the trainer does
 * (which also makes the time include the wait for the queue). Same MLPs and batches as the CPU
 * benchmark, so the two read side by side.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar "ClTrainStepBench|SgdStepBench"}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 2)
public class ClTrainStepBench {
  @Param({"784-256-256-10/128", "8-128-128-1/32"})
  public String mlp;

  @Param({"0"})
  public int device;

  private ClBackend cl;
  private MlpWorkload w;

  @Setup
  public void setup() {
    if (!OpenCl.available()) throw new IllegalStateException("no OpenCL device: " + ClDevices.problem());
    cl = OpenCl.open(device);
    w = MlpWorkload.parse(mlp, DType.F32, 42).on(cl);
    System.out.println("\n# device: " + cl.name());
  }

  @TearDown
  public void tearDown() {
    cl.close();
  }

  /** Forward, backward, fused SGD update on the device; returns the loss read back. */
  @Benchmark
  public double step() {
    return w.sgdStep().item();
  }
}
