package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Parallel;
import dev.unroll.autodiff.Tensor;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.Preconditioner;
import dev.unroll.tda.methods.Preconditioners;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.source.Source;
import dev.unroll.tda.source.SourceInputs;
import dev.unroll.tda.source.SourceOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

/**
 * The speed ratios as one timed run that interleaves its workloads: round after round, one
 * EK-FAC fit, one EK-FAC scoring, one training run, one SOURCE fit and one SOURCE scoring of a paper
 * task (float32, the settings of {@link InfluenceBench} and {@link TrainingRunBench}), each ratio
 * taken within its round and the median over rounds reported, after warm-up rounds. On a shared
 * machine whose speed drifts by tens of percent within minutes, separate JMH forks of numerator and
 * denominator measure them at different moments; interleaving puts them under the same load.
 *
 * <p>{@code java --add-modules=jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.unroll.benchmarks.RatioTiming [task] [rounds] [warm-up rounds]} (defaults concrete, 30, 20).
 */
public final class RatioTiming {
  private RatioTiming() {}

  public static void main(String[] args) {
    String task = args.length > 0 ? args[0] : "concrete";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 30, warm = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int threads = 2;
    PaperTask t = PaperTask.of(task, DType.F32);
    TrainResult trained = Parallel.withThreads(threads, () -> t.train(1));
    AttributionTask at = t.attributionTask(trained);
    List<Tensor> params = trained.model().parameterValues();
    Preconditioner ekfac = Preconditioners.kronecker(Ekfac.ekfac(at, params, FitOptions.defaults()), Damping.meanEigenvalue(0.1));
    SourceInputs in = SourceInputs.of(trained.trajectory(), at);
    Source source = Parallel.withThreads(threads, () -> Source.fit(in, SourceOptions.defaults()));
    List<Supplier<?>> work = List.of(
        () -> Ekfac.ekfac(at, params, FitOptions.defaults()),
        () -> InfluenceFunctions.pairwise(at, params, ekfac, ScoreOptions.defaults()),
        () -> t.train(1),
        () -> Source.fit(in, SourceOptions.defaults()),
        source::pairwise);
    String[] names = {"EK-FAC fit", "EK-FAC scores", "training run", "SOURCE fit", "SOURCE scores"};
    List<List<Double>> times = new ArrayList<>();
    for (int i = 0; i < names.length; i++) times.add(new ArrayList<>());
    List<Double> ekfacPerRun = new ArrayList<>(), sourcePerEkfac = new ArrayList<>();
    for (int r = 0; r < warm + rounds; r++) {
      double[] ms = new double[names.length];
      for (int i = 0; i < names.length; i++) {
        Supplier<?> w = work.get(i);
        long a = System.nanoTime();
        Object out = Parallel.withThreads(threads, w::get);
        ms[i] = (System.nanoTime() - a) / 1e6;
        if (out == null) throw new IllegalStateException(names[i] + " returned nothing");
      }
      if (r < warm) continue;
      for (int i = 0; i < names.length; i++) times.get(i).add(ms[i]);
      ekfacPerRun.add((ms[0] + ms[1]) / ms[2]);
      sourcePerEkfac.add((ms[3] + ms[4]) / (ms[0] + ms[1]));
    }
    System.out.printf("%s, %d threads, medians of %d interleaved rounds after %d warm-up rounds:%n", task, threads, rounds, warm);
    for (int i = 0; i < names.length; i++) System.out.printf("  %-14s %9.1f ms%n", names[i], median(times.get(i)));
    System.out.printf("  EK-FAC influence / training run: %.2f (per-round ratios, first to last decile %.2f–%.2f)%n", median(ekfacPerRun), quantile(ekfacPerRun, 0.1), quantile(ekfacPerRun, 0.9));
    System.out.printf("  SOURCE / EK-FAC influence:       %.2f (%.2f–%.2f)%n", median(sourcePerEkfac), quantile(sourcePerEkfac, 0.1), quantile(sourcePerEkfac, 0.9));
  }

  static double median(List<Double> x) {
    return quantile(x, 0.5);
  }

  static double quantile(List<Double> x, double p) {
    List<Double> s = new ArrayList<>(x);
    Collections.sort(s);
    return s.get((int) Math.min(s.size() - 1, Math.floor(p * s.size())));
  }
}
