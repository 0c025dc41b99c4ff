package dev.unroll.experiments.paper;

import dev.unroll.autodiff.Tensor;
import dev.unroll.optim.train.DataSpec;
import dev.unroll.optim.train.KernelThreads;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.optim.train.DataSource;
import dev.unroll.tda.Damping;
import dev.unroll.tda.TracIn;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.methods.GradientSimilarity;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.RepresentationSimilarity;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.methods.Trak;
import dev.unroll.tda.source.Source;
import dev.unroll.tda.source.SourceCheckpoint;
import dev.unroll.tda.source.SourceInputs;
import dev.unroll.tda.source.SourceOptions;
import dev.unroll.tda.source.SourceSegment;
import dev.unroll.tda.unroll.ExactUnroll;
import java.util.ArrayList;
import java.util.List;

/**
 * The methods compared side by side, with the settings the experiments use: the run is recorded
 * with 6 checkpoints in 3 segments (method.md §4 defaults); SOURCE with L = 1 and 2 merges
 * consecutive recorded segments; influence functions use the true Fisher (one sampled label per
 * example) and damping 0.1 × mean eigenvalue.
 */
public final class MethodCatalog {
  private MethodCatalog() {}

  public static final String EXACT = "exact unrolling";

  static FitOptions fit() {
    return FitOptions.of(FisherType.SAMPLED);
  }

  /** The methods that fit any recorded run; {@code exact} adds exact unrolling (small models). */
  public static List<MethodRun> all(boolean exact, int threads, DataSource source) {
    return all(exact, threads, source, true);
  }

  /** As {@link #all(boolean, int, DataSource)}; {@code trak} false leaves out TRAK (its projections dominate quick image runs). */
  public static List<MethodRun> all(boolean exact, int threads, DataSource source, boolean trak) {
    List<MethodRun> m = new ArrayList<>();
    if (exact) m.add(new MethodRun(EXACT, c -> ExactUnroll.scores(c.run().trajectory(), c.queries(), c.measurement(), ExactUnroll.Options.automatic(threads)).combined()));
    for (int l : new int[] {3, 2, 1}) {
      m.add(new MethodRun("SOURCE (L=" + l + ")", c -> Source.pairwise(segments(SourceInputs.of(c.run().trajectory(), c.task()), l), SourceOptions.defaults().withFit(fit()))));
    }
    m.add(new MethodRun("EK-FAC influence", c -> InfluenceFunctions.ekfac(c.task(), c.finalParameters(), fit(), Damping.meanEigenvalue(0.1), ScoreOptions.defaults())));
    m.add(new MethodRun("K-FAC influence", c -> InfluenceFunctions.kfac(c.task(), c.finalParameters(), fit(), Damping.meanEigenvalue(0.1), ScoreOptions.defaults())));
    m.add(new MethodRun("TracIn", c -> TracIn.pairwise(SourceInputs.of(c.run().trajectory(), c.task()), TracIn.Weighting.STEP_LR, ScoreOptions.defaults())));
    if (trak) m.add(new MethodRun("TRAK (4 half-models)", c -> Trak.scores(c.task(), halfModels(c, 4, source), Trak.Options.defaults(512))));
    m.add(new MethodRun("gradient dot", c -> GradientSimilarity.dot(c.task(), c.finalParameters(), ScoreOptions.defaults())));
    m.add(new MethodRun("gradient cosine", c -> GradientSimilarity.cosine(c.task(), c.finalParameters(), ScoreOptions.defaults())));
    m.add(new MethodRun("representation cosine", c -> RepresentationSimilarity.scores(c.task(), c.finalParameters(), null, RepresentationSimilarity.Similarity.COSINE, ScoreOptions.defaults())));
    return m;
  }

  /**
   * The inputs with L segments per stage: consecutive recorded segments of a stage merged (their
   * checkpoints pooled, learning times added); L above the recorded count keeps the recording.
   */
  public static SourceInputs segments(SourceInputs in, int l) {
    List<SourceSegment> rec = in.segments();
    List<SourceSegment> out = new ArrayList<>();
    int i = 0;
    while (i < rec.size()) {
      int stage = rec.get(i).stage();
      int j = i;
      while (j < rec.size() && rec.get(j).stage() == stage) j++;
      int count = j - i, groups = Math.min(l, count);
      for (int g = 0; g < groups; g++) {
        int from = i + g * count / groups, to = i + (g + 1) * count / groups;
        List<SourceCheckpoint> cks = new ArrayList<>();
        double lrSum = 0;
        for (int k = from; k < to; k++) {
          cks.addAll(rec.get(k).checkpoints());
          lrSum += rec.get(k).lrSum();
        }
        SourceSegment first = rec.get(from);
        out.add(new SourceSegment(stage, first.startStep(), rec.get(to - 1).endStep(), lrSum, first.lrScale(), cks));
      }
      i = j;
    }
    return in.withSegments(out);
  }

  /** Final parameters of {@code count} models trained with the run's recipe on seeded random halves (TRAK's ensemble). */
  public static List<List<Tensor>> halfModels(Context c, int count, DataSource source) {
    RunConfig cfg = c.run().config();
    List<RunConfig> cfgs = new ArrayList<>();
    int n = c.train().size();
    for (int i = 0; i < count; i++) {
      boolean[] mask = new boolean[n];
      int[] p = new dev.unroll.autodiff.Rng(5000 + i).permutation(n);
      for (int k = 0; k < n / 2; k++) mask[p[k]] = true;
      cfgs.add(c.onSubset(mask).withSeed(cfg.seed() + 100 + i));
    }
    List<List<Tensor>> out = new ArrayList<>();
    for (TrainResult r : Trainer.trainAll(cfgs, source, TrainOptions.inMemory())) out.add(new ArrayList<>(r.finalParameters().values()));
    return out;
  }
}
