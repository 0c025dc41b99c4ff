package dev.unroll.experiments.paper;

import dev.unroll.optim.train.Keep;
import dev.unroll.optim.train.RunConfig;
import dev.unroll.optim.train.TrainOptions;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.optim.train.Trainer;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Scores;
import dev.unroll.tda.methods.Ensembles;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.source.Source;
import dev.unroll.tda.source.SourceInputs;
import dev.unroll.tda.source.SourceOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Ensembles of methods (method.md §5): a method's scores averaged over K runs of the base run's
 * configuration that differ only in their seed (initialisation and batch order). Member 0 is the
 * base run itself; members 1..K−1 use seeds seed + 300 + k and are trained once per base run
 * (checkpoints kept in memory) and shared by every ensemble method.
 */
public final class EnsembleMethods {
  private EnsembleMethods() {}

  private static final Map<TrainResult, List<TrainResult>> MEMBERS = new WeakHashMap<>();

  /** SOURCE (L = 3 per stage) averaged over {@code k} runs. */
  public static MethodRun source(int k) {
    return new MethodRun("SOURCE ensemble (" + k + " seeds)", c -> {
      List<Scores> runs = new ArrayList<>();
      for (TrainResult r : members(c, k)) {
        runs.add(Source.pairwise(MethodCatalog.segments(SourceInputs.of(r.trajectory(), taskOf(c, r)), 3), SourceOptions.defaults().withFit(MethodCatalog.fit())));
      }
      return Ensembles.average(runs);
    });
  }

  /** EK-FAC influence at each run's final parameters, averaged over {@code k} runs. */
  public static MethodRun ekfac(int k) {
    return new MethodRun("EK-FAC influence ensemble (" + k + " seeds)", c -> {
      List<Scores> runs = new ArrayList<>();
      for (TrainResult r : members(c, k)) {
        runs.add(InfluenceFunctions.ekfac(taskOf(c, r), new ArrayList<>(r.model().parameterValues()), MethodCatalog.fit(), Damping.meanEigenvalue(0.1), ScoreOptions.defaults()));
      }
      return Ensembles.average(runs);
    });
  }

  /** The context's task on run {@code r}'s model (same loss, measurement, training set and queries). */
  static AttributionTask taskOf(Context c, TrainResult r) {
    if (r == c.run()) return c.task();
    return new AttributionTask(r.model(), c.task().loss(), c.measurement(), c.train(), c.queries());
  }

  /**
   * The base run and k − 1 runs of its configuration with seeds seed + 300 + i (i = 1 … k − 1),
   * trained in memory on first use, then remembered beside the base run.
   */
  public static List<TrainResult> members(Context c, int k) {
    List<TrainResult> extra;
    synchronized (MEMBERS) {
      extra = MEMBERS.get(c.run());
      if (extra == null || extra.size() < k - 1) {
        RunConfig cfg = c.run().config();
        List<RunConfig> cfgs = new ArrayList<>();
        for (int i = 1; i < k; i++) cfgs.add(cfg.withSeed(cfg.seed() + 300 + i));
        extra = Trainer.trainAll(cfgs, c.source(), TrainOptions.inMemory().keep(Keep.CHECKPOINTS), c.threads());
        MEMBERS.put(c.run(), extra);
      }
    }
    List<TrainResult> out = new ArrayList<>();
    out.add(c.run());
    out.addAll(extra.subList(0, k - 1));
    return out;
  }
}
