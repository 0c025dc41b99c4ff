package dev.unroll.nn;

import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * A training loss with per-example values L(zᵢ, θ). The training objective of a mini-batch of size
 * B is the mean (1/B)·Σᵢ L(zᵢ, θ), so SGD steps θ ← θ − (η/B)·Σᵢ ∇L(zᵢ, θ) (method.md §1).
 */
public interface Loss {
  /** The per-example losses [B] of model outputs [B, ...] against their targets. */
  Tensor perExample(Tensor output, Targets y);

  /**
   * Targets drawn from the model's predictive distribution p(y | f), the one whose negative
   * log-likelihood is this loss up to a constant: what the true Fisher (method.md §3, EK-FAC
   * factor S) differentiates instead of the real labels. Uses {@code rng} in row order.
   */
  Targets sample(Tensor output, Rng rng);

  /** (1/B)·Σᵢ Lᵢ, a scalar. */
  default Tensor mean(Tensor output, Targets y) {
    return perExample(output, y).mean();
  }

  /** Σᵢ Lᵢ, a scalar (its gradient with respect to a layer's outputs has one row per example). */
  default Tensor sum(Tensor output, Targets y) {
    return perExample(output, y).sum();
  }

  /**
   * (1/B)·Σᵢ wᵢ·Lᵢ for per-example weights w [B], a scalar. The divisor is the batch size B, not
   * Σ wᵢ, so that weight 1 everywhere is the plain mean and weight 1 ± ε on one example is the
   * up/down-weighted objective of method.md §2. Differentiable in w as well.
   */
  default Tensor weightedMean(Tensor output, Targets y, Tensor weights) {
    Tensor l = perExample(output, y);
    if (weights.rank() != 1 || weights.dim(0) != l.dim(0)) {
      throw new IllegalArgumentException("weightedMean: weights of shape " + Arrays.toString(weights.shape()) + " for a batch of " + l.dim(0));
    }
    Tensor w = weights.to(l.dtype());
    if (!l.backend().isCpu()) w = w.to(l.backend());
    return l.mul(w).sum().div(l.dim(0));
  }

  /** {@link #weightedMean(Tensor, Targets, Tensor)} with the weights given as doubles. */
  default Tensor weightedMean(Tensor output, Targets y, double[] weights) {
    return weightedMean(output, y, Tensor.of(output.dtype(), weights, weights.length));
  }
}
