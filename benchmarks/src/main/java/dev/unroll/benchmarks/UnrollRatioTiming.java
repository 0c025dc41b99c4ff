package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Parallel;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.unroll.ExactUnroll;
import java.util.ArrayList;
import java.util.List;

/**
 * The ratio "exact unrolling for 100 queries / one training run" as one timed run that
 * interleaves its two workloads, as {@link RatioTiming} does for EK-FAC and SOURCE: round after
 * round, five training runs (their median) and one exact unrolling of all the task's queries, in
 * the dtype and on the threads of {@link UnrollBench}; the ratio is taken within each round, scaled
 * to 100 queries, and the median over rounds reported after warm-up rounds.
 *
 * <p>{@code java --add-modules=jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.unroll.benchmarks.UnrollRatioTiming [task] [rounds] [warm-up rounds] [float64|float32]}
 * (defaults concrete, 8, 2, float64).
 */
public final class UnrollRatioTiming {
  private UnrollRatioTiming() {}

  public static void main(String[] args) {
    String task = args.length > 0 ? args[0] : "concrete";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 8, warm = args.length > 2 ? Integer.parseInt(args[2]) : 2;
    DType dtype = DTypeParam.parse(args.length > 3 ? args[3] : "float64");
    int threads = 2;
    PaperTask t = PaperTask.of(task, dtype);
    TrainResult trained = Parallel.withThreads(threads, () -> t.train(1));
    AttributionTask at = t.attributionTask(trained);
    int queries = at.queries().size();
    // The training run's code warmed as for the JMH benchmarks (five calls per round would not).
    JitWarmup.run(() -> Parallel.withThreads(threads, () -> t.train(1)));
    List<Double> train = new ArrayList<>(), unroll = new ArrayList<>(), per100 = new ArrayList<>();
    for (int r = 0; r < warm + rounds; r++) {
      List<Double> runs = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        long a = System.nanoTime();
        Parallel.withThreads(threads, () -> t.train(1));
        runs.add((System.nanoTime() - a) / 1e6);
      }
      long a = System.nanoTime();
      ExactUnroll.Result res = ExactUnroll.scores(trained.trajectory(), at.queries(), at.measurement(), ExactUnroll.Options.automatic(threads));
      double u = (System.nanoTime() - a) / 1e6;
      if (res.stages().isEmpty()) throw new IllegalStateException("exact unrolling returned no scores");
      if (r < warm) continue;
      double tr = RatioTiming.median(runs);
      train.add(tr);
      unroll.add(u);
      per100.add(u / tr * 100.0 / queries);
    }
    System.out.printf("%s, %s, %d threads, %d queries, medians of %d interleaved rounds after %d warm-up rounds:%n", task, dtype, threads, queries, rounds, warm);
    System.out.printf("  training run (median of 5 per round) %9.1f ms%n", RatioTiming.median(train));
    System.out.printf("  exact unrolling, all queries         %9.1f ms%n", RatioTiming.median(unroll));
    System.out.printf("  exact unrolling per 100 queries / training run: %.1f (per-round ratios, first to last decile %.1f–%.1f)%n",
        RatioTiming.median(per100), RatioTiming.quantile(per100, 0.1), RatioTiming.quantile(per100, 0.9));
  }
}
