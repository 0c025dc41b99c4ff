package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
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
 * Square float32 GEMM C = A·B (2n³ flops) on an OpenCL device (parameter {@code device}, the N of
 * {@code UNROLL_DEVICE=opencl:N}): {@code resident} with A, B and C on the device (the time of the
 * kernel, waited for with clFinish), {@code withTransfers} from host arrays to a host result (upload
 * of A and B, the kernel, download of C). GFLOP/s = 2n³ / time.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ClGemmBench}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-XX:+UseParallelGC"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 3)
public class ClGemmBench {
  @Param({"512", "1024", "2048"})
  public int n;

  @Param({"0"})
  public int device;

  private ClBackend cl;
  private Tensor a, b, da, db;

  @Setup
  public void setup() {
    if (!OpenCl.available()) throw new IllegalStateException("no OpenCL device: " + ClDevices.problem());
    cl = OpenCl.open(device);
    Rng r = new Rng(1);
    a = Tensor.randn(r, DType.F32, n, n);
    b = Tensor.randn(r, DType.F32, n, n);
    da = cl.fromCpu(a);
    db = cl.fromCpu(b);
    System.out.println("\n# device: " + cl.name());
  }

  @TearDown
  public void tearDown() {
    cl.close();
  }

  @Benchmark
  public Tensor resident() {
    Tensor c = cl.matmul(da, db);
    cl.finish();
    return c;
  }

  @Benchmark
  public Tensor withTransfers() {
    return cl.toCpu(cl.matmul(cl.fromCpu(a), cl.fromCpu(b)));
  }
}
