package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.OuterSumDots;
import dev.unroll.autodiff.Parallel;
import dev.unroll.autodiff.RankOneDots;
import dev.unroll.autodiff.Rng;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The scoring kernels of the influence methods on one Linear block: d[q, n] = ⟨U_q, Σ_c g_c[n] a_c[n]ᵀ⟩
 * for Q query matrices [out, in] and a batch of B examples with C pairs of factors (C = 1: an
 * influence function; C = 2: a SOURCE segment of two checkpoints). {@code outerSum} is
 * {@link OuterSumDots} (one GEMM whose operand is packed from the factors); {@code rankOne} is the
 * baseline, C calls of {@link RankOneDots} (a GEMM a·Uᵀ per query chunk, then a contraction with g).
 * float32, seeded operands; the same arithmetic per call (2·Q·B·out·in·C for the baseline, 2·Q·B·out·in
 * plus the packing for {@code outerSum}).
 *
 * <p>A shape is {@code QxBxINxOUT}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class ScoringKernelBench {
  /** Concrete's hidden and first layers with its 103 queries; a FashionMNIST-N hidden layer. */
  @Param({"103x128x128x128", "103x256x128x128", "103x128x9x128", "100x128x256x256"})
  public String shape;

  @Param({"1", "2"})
  public int pairs;

  @Param({"2"})
  public int threads;

  Tensor u;
  OuterSumDots.Queries prepared;
  Tensor[] a, g;
  int q, out;

  @Setup
  public void setup() {
    String[] s = shape.split("x");
    q = Integer.parseInt(s[0]);
    int b = Integer.parseInt(s[1]), in = Integer.parseInt(s[2]);
    out = Integer.parseInt(s[3]);
    Rng r = new Rng(20261124L);
    Tensor m = Tensor.randn(r, DType.F32, q, out, in);
    u = m.reshape(q * out, in).contiguous();
    prepared = OuterSumDots.Queries.of(m, out, in);
    a = new Tensor[pairs];
    g = new Tensor[pairs];
    for (int c = 0; c < pairs; c++) {
      a[c] = Tensor.randn(r, DType.F32, b, in);
      g[c] = Tensor.randn(r, DType.F32, b, out);
    }
  }

  @Benchmark
  public void outerSum(Blackhole bh) {
    bh.consume(Parallel.withThreads(threads, () -> OuterSumDots.compute(prepared, g, a)));
  }

  @Benchmark
  public void rankOne(Blackhole bh) {
    Parallel.withThreads(threads, () -> {
      for (int c = 0; c < pairs; c++) bh.consume(RankOneDots.compute(a[c], g[c], u, q, out));
      return null;
    });
  }
}
