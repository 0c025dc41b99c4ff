package dev.unroll.optim;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter; PyTorch's torch.optim.AdamW): before the
 * Adam update the parameter is scaled, p ← p·(1 − η·λ), and the gradient is not changed. See
 * {@link Adam} for the update.
 */
public final class AdamW extends Adam {
  public AdamW(double beta1, double beta2, double eps, double weightDecay) {
    super(beta1, beta2, eps, weightDecay, true);
  }

  /** PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8, λ = 0.01. */
  public AdamW() {
    this(0.9, 0.999, 1e-8, 0.01);
  }
}
