package dev.unroll.nn;

import dev.unroll.autodiff.Tensor;

/**
 * The quantity f(z_q, θ) an attribution query asks about (method.md §1), per example: [B] for
 * outputs [B, ...]. Differentiable in the outputs, so ∇_θ f comes from backward.
 */
public interface Measurement {
  Tensor perExample(Tensor output, Targets y);

  /** |f(x) − y| for regression ({@link AbsoluteError}). */
  static Measurement absoluteError() {
    return new AbsoluteError();
  }

  /** logit of the true class − logsumexp of the other logits ({@link Margin}). */
  static Measurement margin() {
    return new Margin();
  }

  /** The training loss itself (the language-model style measurement). */
  static Measurement loss(Loss loss) {
    return new LossMeasurement(loss);
  }
}
