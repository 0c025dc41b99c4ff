package dev.unroll.benchmarks;

import dev.unroll.autodiff.BinaryOp;
import dev.unroll.autodiff.CpuKernels;
import dev.unroll.autodiff.SimdKernels;
import dev.unroll.autodiff.UnaryOp;
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
 * Elementwise kernels over 2²⁰ contiguous elements, SIMD against the scalar reference: add and mul
 * (two inputs), exp and tanh (inputs in [−4, 4)), and a full sum. Time per call (sample mode: p0.50
 * is the median).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
public class ElementwiseBench {
  static final int N = 1 << 20;

  @Param({"add", "mul", "exp", "tanh", "sum"})
  public String op;

  @Param({"simd", "scalar"})
  public String kernels;

  @Param({"float32", "float64"})
  public String dtype;

  CpuKernels k;
  float[] af, bf, zf;
  double[] ad, bd, zd;

  @Setup
  public void setup() {
    k = kernels.equals("simd") ? SimdKernels.INSTANCE : CpuKernels.SCALAR;
    SplittableRandom r = new SplittableRandom(20240602L);
    ad = new double[N];
    bd = new double[N];
    zd = new double[N];
    for (int i = 0; i < N; i++) {
      ad[i] = 8 * r.nextDouble() - 4;
      bd[i] = 8 * r.nextDouble() - 4;
    }
    af = new float[N];
    bf = new float[N];
    zf = new float[N];
    for (int i = 0; i < N; i++) {
      af[i] = (float) ad[i];
      bf[i] = (float) bd[i];
    }
  }

  @Benchmark
  public void run(Blackhole bh) {
    boolean f64 = dtype.equals("float64");
    switch (op) {
      case "add" -> {
        if (f64) k.binary(BinaryOp.ADD, ad, 0, 1, bd, 0, 1, zd, 0, N);
        else k.binary(BinaryOp.ADD, af, 0, 1, bf, 0, 1, zf, 0, N);
      }
      case "mul" -> {
        if (f64) k.binary(BinaryOp.MUL, ad, 0, 1, bd, 0, 1, zd, 0, N);
        else k.binary(BinaryOp.MUL, af, 0, 1, bf, 0, 1, zf, 0, N);
      }
      case "exp" -> {
        if (f64) k.unary(UnaryOp.EXP, ad, 0, 1, zd, 0, N);
        else k.unary(UnaryOp.EXP, af, 0, 1, zf, 0, N);
      }
      case "tanh" -> {
        if (f64) k.unary(UnaryOp.TANH, ad, 0, 1, zd, 0, N);
        else k.unary(UnaryOp.TANH, af, 0, 1, zf, 0, N);
      }
      case "sum" -> {
        if (f64) bh.consume(k.sum(ad, 0, N));
        else bh.consume(k.sum(af, 0, N));
        return;
      }
      default -> throw new IllegalArgumentException("unknown op " + op);
    }
    bh.consume(f64 ? zd : zf);
  }
}
