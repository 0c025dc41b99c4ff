package dev.unroll.experiments.paper;

import dev.unroll.tda.Damping;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.grad.GradientDots;
import dev.unroll.tda.grad.Gradients;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.unroll.ExactUnroll;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The methods compared side by side, with the settings the experiments use. */
public final class MethodCatalog {
  private MethodCatalog() {}

  public static final String EXACT = "exact unrolling";

  /** Methods for the small regression MLPs (exact unrolling fits). */
  public static List<MethodRun> forRegression(int threads) {
    List<MethodRun> m = new ArrayList<>();
    m.add(new MethodRun(EXACT, c -> ExactUnroll.scores(c.run().trajectory(), c.queries(), c.measurement(), new ExactUnroll.Options(8, threads)).combined()));
    m.add(new MethodRun("EK-FAC influence", c -> InfluenceFunctions.ekfac(c.task(), UciExperiment.params(c), FitOptions.of(FisherType.SAMPLED), new Damping.MeanEigenvalue(0.1), ScoreOptions.defaults())));
    m.add(new MethodRun("K-FAC influence", c -> InfluenceFunctions.kfac(c.task(), UciExperiment.params(c), FitOptions.of(FisherType.SAMPLED), new Damping.MeanEigenvalue(0.1), ScoreOptions.defaults())));
    m.add(new MethodRun("gradient dot", c -> {
      var p = UciExperiment.params(c);
      return Scores.pairwise("gradient-dot", GradientDots.pairwise(c.task(), p, Gradients.queries(c.task(), p, 256), 256), Map.of());
    }));
    return m;
  }
}
