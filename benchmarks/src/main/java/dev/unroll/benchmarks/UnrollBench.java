package dev.unroll.benchmarks;

import dev.unroll.autodiff.Parallel;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.unroll.ExactUnroll;
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
 * Exact unrolling of a paper task's training run ({@link PaperTask}, trained once in the set-up,
 * keeping its checkpoints) for all of the task's queries, with automatically sized query blocks on
 * {@code threads} sweeps, beside one training run of the same task in the same dtype: the two
 * halves of the ratio "exact unrolling for 100 queries / one training run", timed in one JMH
 * run. Float64 by default, the precision the exact-unrolling tests hold it to.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
public class UnrollBench {
  @Param({"concrete"})
  public String task;

  @Param({"float64"})
  public String dtype;

  @Param({"2"})
  public int threads;

  private PaperTask t;
  private TrainResult trained;
  private AttributionTask attribution;

  @Setup
  public void setup() {
    t = PaperTask.of(task, DTypeParam.parse(dtype));
    trained = Parallel.withThreads(threads, () -> t.train(1));
    attribution = t.attributionTask(trained);
  }

  @Benchmark
  public TrainResult trainingRun() {
    return Parallel.withThreads(threads, () -> t.train(1));
  }

  @Benchmark
  public ExactUnroll.Result exactUnroll() {
    return ExactUnroll.scores(trained.trajectory(), attribution.queries(), attribution.measurement(), ExactUnroll.Options.automatic(threads));
  }
}
