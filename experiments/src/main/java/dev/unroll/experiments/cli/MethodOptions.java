package dev.unroll.experiments.cli;

import dev.unroll.experiments.Options;
import dev.unroll.optim.train.RunRecord;
import dev.unroll.tda.Damping;
import dev.unroll.tda.TracIn;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.LinearOperator;
import dev.unroll.tda.methods.InfluenceFunctions;
import dev.unroll.tda.methods.RepresentationSimilarity;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.source.SourceOptions;
import java.util.SplittableRandom;

/** The methods' command-line options of {@code ./unroll score}, read into the library's option types with a usage error naming the flag and the accepted values. */
final class MethodOptions {
  private MethodOptions() {}

  static FitOptions fit(Options o) {
    FitOptions f = FitOptions.of(fisher(o)).withMaxExamples(o.getInt("fit-examples", 0)).withSeed(o.getInt("fit-seed", 0));
    return f.withBatchSize(o.getInt("batch", f.batchSize()));
  }

  static FisherType fisher(Options o) {
    String v = o.get("fisher", "sampled");
    return switch (v) {
      case "sampled", "true" -> FisherType.SAMPLED;
      case "empirical" -> FisherType.EMPIRICAL;
      case "expected", "gauss-newton" -> FisherType.EXPECTED;
      default -> throw new Options.UsageException("--fisher must be sampled, empirical or expected, got '" + v + "'");
    };
  }

  /**
   * {@code --damping}: a number (fixed λ), {@code mean:F} (F × the curvature's mean eigenvalue) or
   * {@code learning-time} (λ = (1 − β)/Σₖηₖ, the inverse of the run's momentum-scaled learning time).
   */
  static Damping damping(Options o, ScoreSession s, String fallback) {
    String v = o.get("damping", fallback);
    try {
      if (v.startsWith("mean:")) return Damping.meanEigenvalue(Double.parseDouble(v.substring(5)));
      if (v.equals("learning-time")) {
        RunRecord r = s.run.record();
        double lrSum = 0;
        for (int k = 0; k < r.totalSteps(); k++) lrSum += r.lr(k);
        return Damping.learningTime(lrSum / r.totalSteps(), r.totalSteps(), s.config.stage(0).optimizer().momentum());
      }
      return Damping.of(Double.parseDouble(v));
    } catch (NumberFormatException e) {
      throw new Options.UsageException("--damping must be a number, mean:FRACTION or learning-time, got '" + v + "'");
    }
  }

  /** λ of a damping rule that needs no eigenvalue (CG and LiSSA accept only those). */
  static double lambdaOf(Damping d) {
    if (d.needsMeanEigenvalue()) throw new Options.UsageException("CG and LiSSA need --damping as a number or learning-time (an operator has no cheap mean eigenvalue), got " + d.describe());
    return d.resolve(0);
  }

  static InfluenceFunctions.Operator operator(Options o, InfluenceFunctions.Operator fallback) {
    String v = o.get("operator", null);
    if (v == null) return fallback;
    return switch (v) {
      case "hessian" -> InfluenceFunctions.Operator.HESSIAN;
      case "gauss-newton" -> InfluenceFunctions.Operator.GAUSS_NEWTON;
      default -> throw new Options.UsageException("--operator must be hessian or gauss-newton, got '" + v + "'");
    };
  }

  static TracIn.Weighting tracinWeighting(Options o) {
    String v = o.get("tracin-weighting", "step-lr");
    return switch (v) {
      case "step-lr" -> TracIn.Weighting.STEP_LR;
      case "learning-time" -> TracIn.Weighting.LEARNING_TIME;
      default -> throw new Options.UsageException("--tracin-weighting must be step-lr or learning-time, got '" + v + "'");
    };
  }

  static RepresentationSimilarity.Similarity similarity(Options o) {
    String v = o.get("similarity", "cosine");
    return switch (v) {
      case "cosine" -> RepresentationSimilarity.Similarity.COSINE;
      case "dot" -> RepresentationSimilarity.Similarity.DOT;
      case "l2" -> RepresentationSimilarity.Similarity.NEGATIVE_L2;
      default -> throw new Options.UsageException("--similarity must be cosine, dot or l2, got '" + v + "'");
    };
  }

  static SourceOptions sourceOptions(Options o, FitOptions fit, ScoreOptions so) {
    String c = o.get("curvature", "ekfac"), f = o.get("form", "exponential");
    SourceOptions.Curvature curvature = switch (c) {
      case "ekfac" -> SourceOptions.Curvature.EKFAC;
      case "kfac" -> SourceOptions.Curvature.KFAC;
      case "hessian" -> SourceOptions.Curvature.HESSIAN;
      case "fisher" -> SourceOptions.Curvature.FISHER;
      default -> throw new Options.UsageException("--curvature must be ekfac, kfac, hessian or fisher, got '" + c + "'");
    };
    SourceOptions.Form form = switch (f) {
      case "exponential" -> SourceOptions.Form.EXPONENTIAL;
      case "power" -> SourceOptions.Form.POWER;
      default -> throw new Options.UsageException("--form must be exponential or power, got '" + f + "'");
    };
    return SourceOptions.defaults().withCurvature(curvature).withForm(form).withFit(fit).withScore(so);
  }

  /**
   * An estimate of the largest eigenvalue of a positive semi-definite operator: ‖Gv‖ after
   * {@code iterations} power iterations from a seeded random v. LiSSA converges for any scale above
   * half the largest eigenvalue; the estimate approaches it from below, so it serves as the scale.
   */
  static double largestEigenvalue(LinearOperator g, int iterations) {
    SplittableRandom rng = new SplittableRandom(0);
    double[] v = new double[g.dim()];
    for (int i = 0; i < v.length; i++) v[i] = rng.nextDouble() - 0.5;
    double lambda = 0;
    for (int it = 0; it < iterations; it++) {
      double n = Math.sqrt(dot(v, v));
      for (int i = 0; i < v.length; i++) v[i] /= n;
      double[] gv = g.apply(v);
      lambda = Math.sqrt(dot(gv, gv));
      v = gv;
    }
    if (!(lambda > 0)) throw new IllegalArgumentException("LiSSA: the curvature's largest eigenvalue estimate is " + lambda + "; pass --lissa-scale");
    return lambda;
  }

  private static double dot(double[] a, double[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) s += a[i] * b[i];
    return s;
  }
}
