package dev.unroll.experiments.eval;

import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.optim.train.TrainResult;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.TracIn;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.methods.GradientSimilarity;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.Preconditioners;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.source.Source;
import dev.unroll.tda.source.SourceInputs;
import dev.unroll.tda.source.SourceOptions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Self-influence τ(z_m, z_m) of every training point (the measurement being its own training
 * loss) for the methods that define one informatively, with the settings the pairwise comparison
 * uses (true Fisher with one sampled label, damping 0.1 × mean eigenvalue, SOURCE on the recorded
 * segments). The cosines are left out: their self-similarity is the same for every point. The
 * final training loss itself is added as the classic baseline.
 */
public final class SelfInfluences {
  private SelfInfluences() {}

  /**
   * SOURCE on the recorded segments. For all-Linear models its self-influence works in each
   * segment's eigenbasis from the rank-one factors of the per-example gradients, but every earlier
   * segment still changes basis once per example: the most expensive self-influence here (4.5–9.5
   * minutes on 6144 FashionMNIST images on 2 shared cores).
   */
  public static final String SOURCE = "SOURCE (recorded segments)";

  /** A named self-influence computation. */
  public record Method(String name, Compute compute) {}

  @FunctionalInterface
  public interface Compute {
    double[] run() throws Exception;
  }

  /** The methods, cheapest first; each runs only when called. */
  public static List<Method> methods(TrainResult run, AttributionTask task) {
    List<Tensor> params = new ArrayList<>(run.model().parameterValues());
    FitOptions fit = FitOptions.of(FisherType.SAMPLED);
    ScoreOptions so = ScoreOptions.defaults();
    List<Method> m = new ArrayList<>();
    // Cheapest first, so a long SOURCE fit leaves the others' results printed.
    m.add(new Method("training loss", () -> trainingLoss(run, task)));
    m.add(new Method("gradient dot", () -> GradientSimilarity.selfDot(task, params, so).selfValues()));
    m.add(new Method("TracIn", () -> TracIn.selfInfluence(SourceInputs.of(run.trajectory(), task), TracIn.Weighting.STEP_LR, so).selfValues()));
    m.add(new Method("EK-FAC influence",
        () -> InfluenceFunctions.selfInfluence(task, params, Preconditioners.kronecker(Ekfac.ekfac(task, params, fit), Damping.meanEigenvalue(0.1)), so).selfValues()));
    m.add(new Method("K-FAC influence",
        () -> InfluenceFunctions.selfInfluence(task, params, Preconditioners.kronecker(Ekfac.kfac(task, params, fit), Damping.meanEigenvalue(0.1)), so).selfValues()));
    m.add(new Method(SOURCE, () -> Source.selfInfluence(SourceInputs.of(run.trajectory(), task), SourceOptions.defaults().withFit(fit)).selfValues()));
    return m;
  }

  /** L(z_m, θ_T) for every training point. */
  static double[] trainingLoss(TrainResult run, AttributionTask task) {
    try (var g = GradMode.off()) {
      return task.loss().perExample(run.model().forward(task.train().x()), task.train().y()).toDoubleArray();
    }
  }

  /** Runs every method, printing and recording its seconds. */
  public static Map<String, double[]> all(List<Method> methods, Map<String, Double> seconds) throws Exception {
    Map<String, double[]> out = new LinkedHashMap<>();
    for (Method m : methods) {
      long t = System.nanoTime();
      double[] v;
      try {
        v = m.compute().run();
      } catch (Exception e) {
        throw new Exception("self-influence of " + m.name() + ": " + e.getMessage(), e);
      }
      double s = (System.nanoTime() - t) / 1e9;
      out.put(m.name(), v);
      seconds.put(m.name(), s);
      System.out.printf("  %-28s self-influence in %6.1f s%n", m.name(), s);
    }
    return out;
  }
}
