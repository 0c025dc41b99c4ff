package dev.unroll.tda.curvature;

/**
 * Which second-moment matrix of output-space gradients stands in for the Hessian of the mean
 * training loss (1/N)·Σᵢ L(zᵢ, θ). All three are (1/N)·Σᵢ Σ_c uᵢ_c uᵢ_cᵀ with uᵢ_c = J_iᵀ wᵢ_c the
 * back-propagation of output-space cotangents wᵢ_c through example i's network Jacobian J_i:
 */
public enum FisherType {
  /** The empirical Fisher: one cotangent per example, the actual loss gradient ∂L/∂f at the true target. */
  EMPIRICAL,
  /**
   * The true Fisher by Monte Carlo (method.md §3): targets sampled from the model's predictive
   * distribution (categorical over softmax for cross-entropy; y ~ N(f, ½·I) for the squared error
   * Σⱼ(fⱼ − yⱼ)²), seeded per example, each of {@code samples} draws weighted 1/samples.
   */
  SAMPLED,
  /**
   * The expectation of {@link #SAMPLED} over the labels, exactly: the Gauss-Newton matrix. The
   * cotangents factor the loss's Hessian in output space, Σ_c w_c w_cᵀ = ∇²_f L: √2·e_c for the
   * squared error, √p_c·(e_c − p) for softmax cross-entropy. One backward pass per output.
   */
  EXPECTED
}
