package dev.unroll.tda;

/**
 * The damping λ added to the curvature before inverting it, (G + λI)⁻¹ (method.md §3), and how it
 * was chosen; the chosen rule and the resolved value go into the scores' settings.
 */
public sealed interface Damping {
  /** λ for a curvature whose mean eigenvalue (trace / dimension) is {@code meanEigenvalue}. */
  double resolve(double meanEigenvalue);

  /** Whether {@link #resolve} uses the mean eigenvalue (so the curvature must be able to supply it). */
  boolean needsMeanEigenvalue();

  /** A description for the settings, e.g. {@code 0.1*mean_eigenvalue}. */
  String describe();

  /** λ = value. */
  record Fixed(double value) implements Damping {
    public Fixed {
      if (!(value >= 0) || Double.isInfinite(value)) throw new IllegalArgumentException("damping must be finite and non-negative, got " + value);
    }

    public double resolve(double meanEigenvalue) { return value; }

    public boolean needsMeanEigenvalue() { return false; }

    public String describe() { return Double.toString(value); }
  }

  /** λ = fraction × the mean eigenvalue of the curvature it damps (per layer for layer-wise curvature); 0.1 is the common default. */
  record MeanEigenvalue(double fraction) implements Damping {
    public MeanEigenvalue {
      if (!(fraction >= 0) || Double.isInfinite(fraction)) throw new IllegalArgumentException("damping fraction must be finite and non-negative, got " + fraction);
    }

    public double resolve(double meanEigenvalue) {
      if (!(meanEigenvalue >= 0)) throw new IllegalArgumentException("damping " + describe() + ": mean eigenvalue " + meanEigenvalue + " is not a non-negative number");
      return fraction * meanEigenvalue;
    }

    public boolean needsMeanEigenvalue() { return true; }

    public String describe() { return fraction + "*mean_eigenvalue"; }
  }

  /**
   * λ = 1/(η_eff·T) with η_eff = η/(1 − β): SOURCE's suggestion, the inverse of the training's
   * summed (momentum-scaled) learning rate over T steps.
   */
  record LearningTime(double learningRate, long steps, double momentum) implements Damping {
    public LearningTime {
      if (!(learningRate > 0) || steps <= 0 || !(momentum >= 0 && momentum < 1)) {
        throw new IllegalArgumentException("learning-time damping needs lr > 0, steps > 0 and momentum in [0, 1), got lr=" + learningRate + ", steps=" + steps + ", momentum=" + momentum);
      }
    }

    public double resolve(double meanEigenvalue) { return (1 - momentum) / (learningRate * steps); }

    public boolean needsMeanEigenvalue() { return false; }

    public String describe() { return "1/(lr*T/(1-momentum)), lr=" + learningRate + ", T=" + steps + ", momentum=" + momentum; }
  }

  static Damping of(double value) { return new Fixed(value); }

  static Damping meanEigenvalue(double fraction) { return new MeanEigenvalue(fraction); }

  static Damping learningTime(double learningRate, long steps, double momentum) { return new LearningTime(learningRate, steps, momentum); }
}
