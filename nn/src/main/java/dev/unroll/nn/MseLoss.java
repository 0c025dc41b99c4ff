package dev.unroll.nn;

import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * Squared error summed over the outputs: L(z, θ) = Σⱼ (f(x)ⱼ − yⱼ)², with no factor ½ and no mean
 * over outputs. This is the convention of method.md §3: the negative log-likelihood of
 * y ~ N(f(x), ½·I) up to a constant, which is what the true-Fisher label sampling for squared error
 * uses. For one output it is (f − y)². Outputs [B, d] against {@link Targets.Regression} [B, d]; an
 * output [B] is accepted for d = 1.
 */
public final class MseLoss implements Loss {
  @Override
  public Tensor perExample(Tensor output, Targets y) {
    Tensor d = Residuals.of("MseLoss", output, y);
    return d.mul(d).sum(1);
  }

  /** y ~ N(f(x), ½·I): yⱼ = fⱼ + ξⱼ/√2 with ξⱼ standard normal, whose −log density is Σⱼ (yⱼ − fⱼ)² + const. */
  @Override
  public Targets sample(Tensor output, Rng rng) {
    Tensor f = output.rank() == 1 ? output.reshape(output.dim(0), 1) : output;
    if (f.rank() != 2) throw new IllegalArgumentException("MseLoss.sample: output of shape " + Arrays.toString(output.shape()) + ", expected [B, d]");
    double[] v = f.toDoubleArray();
    double s = Math.sqrt(0.5);
    for (int i = 0; i < v.length; i++) v[i] += s * rng.normal();
    return new Targets.Regression(Tensor.of(f.dtype(), v, f.shape()));
  }

  @Override
  public String toString() {
    return "MseLoss(sum of squares)";
  }

  /** f − y as [B, d], with the targets converted to the output's dtype. */
  static final class Residuals {
    private Residuals() {}

    static Tensor of(String who, Tensor output, Targets y) {
      if (!(y instanceof Targets.Regression r)) {
        throw new IllegalArgumentException(who + " needs regression targets, got " + y.getClass().getSimpleName());
      }
      Tensor t = r.values();
      Tensor f = output.rank() == 1 ? output.reshape(output.dim(0), 1) : output;
      if (f.rank() != 2 || !Arrays.equals(f.shape(), t.shape())) {
        throw new IllegalArgumentException(who + ": output of shape " + Arrays.toString(output.shape()) + " and targets of shape " + Arrays.toString(t.shape()) + " differ (expected [B, d] for both)");
      }
      // Targets stay on the CPU with their data set; they follow the output to its device.
      Tensor target = t.detach().to(f.dtype());
      return f.sub(f.backend().isCpu() ? target : target.to(f.backend()));
    }
  }
}
