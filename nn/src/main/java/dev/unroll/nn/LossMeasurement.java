package dev.unroll.nn;

import dev.unroll.autodiff.Tensor;

/** The loss as the measurement: f(z, θ) = L(z, θ). */
public record LossMeasurement(Loss loss) implements Measurement {
  @Override
  public Tensor perExample(Tensor output, Targets y) {
    return loss.perExample(output, y);
  }
}
