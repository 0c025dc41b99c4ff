package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Parallel;
import dev.unroll.optim.train.TrainResult;
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
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * One full training run of Concrete and of FashionMNIST-N by the project's trainer, float32
 * ({@link PaperTask}); each invocation is one run from initialisation to the last step, after the
 * set-up's warm-up calls ({@link JitWarmup}).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
public class TrainingRunBench {
  @Param({"concrete", "fashion-mnist-n"})
  public String task;

  @Param({"2"})
  public int threads;

  private PaperTask t;

  @Setup
  public void setup(BenchmarkParams bp, Blackhole bh) {
    t = PaperTask.of(task, DType.F32);
    JitWarmup.run(bp, java.util.Map.of("run", this::run), bh);
  }

  @Benchmark
  public TrainResult run() {
    return Parallel.withThreads(threads, () -> t.train(1));
  }
}
