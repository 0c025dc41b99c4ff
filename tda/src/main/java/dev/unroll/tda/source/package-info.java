/**
 * SOURCE (Bae et al. 2024; method.md §4): training data attribution by unrolling a recorded run in
 * L segments, each assumed stationary (curvature H̄_ℓ and training gradients ḡ_ℓ averaged over the
 * segment's checkpoints), so that each segment has a closed form:
 * <pre>
 *   S̄_ℓ = exp(−c_ℓ H̄_ℓ),   r̄_ℓ(z) = (I − exp(−c_ℓ H̄_ℓ)) H̄_ℓ⁻¹ ḡ_ℓ(z),   c_ℓ = Σ_{k ∈ ℓ} η_k / (1 − β),
 *   τ(z_q, z_m) = ∇f(z_q, θ_T)ᵀ Σ_ℓ w_ℓ (S̄_L ⋯ S̄_{ℓ+1}) r̄_ℓ(z_m),   predicted change of f = τ / N.
 * </pre>
 * Use: {@link dev.unroll.tda.source.SourceInputs#of(dev.unroll.optim.train.Trajectory,
 * dev.unroll.tda.AttributionTask)} reads a recorded run (stages, segments, checkpoints, learning
 * rates, momentum, Adam preconditioners); {@link dev.unroll.tda.source.Source#fit} fits every
 * segment's curvature ({@link dev.unroll.tda.source.SourceOptions}: EK-FAC, K-FAC, exact Hessian or
 * dense Fisher; exponential or power form); {@link dev.unroll.tda.source.Source#pairwise()} and
 * {@link dev.unroll.tda.source.Source#selfInfluence()} score. {@link
 * dev.unroll.tda.source.SourceInputs#fast()} gives Fast-Source.
 *
 * <p>Choices made where the paper leaves them open (also recorded in the scores' settings):
 * <ul>
 *   <li>Weight decay λ is part of the linearised dynamics: the curvature is H̄ + λI (EK-FAC: λ added
 *       to every eigenvalue).</li>
 *   <li>Multi-stage runs: a segment's curvature and gradients use only its stage's data; an example
 *       absent from a stage contributes nothing there; a stage of N_s examples gets the weight
 *       w = N/N_s so that τ/N is the predicted effect (each step sees an example with probability
 *       B/N_s).</li>
 *   <li>Adam/AdamW: P = 1/(√v̂ + ε) from the optimizer state at each checkpoint, averaged per
 *       segment; c = Σ η (m̂ is the stationary gradient); computed in the coordinates θ' = P^{-1/2}θ,
 *       where the curvature G = P^{1/2}(H̄ + λI)P^{1/2} (AdamW: P^{1/2}H̄P^{1/2} + λI) is symmetric.
 *       With EK-FAC the basis is the averaged factors' and the eigenvalues are the corrections of the
 *       preconditioned gradients; the dependence of P on the data is ignored.</li>
 *   <li>Power form: η = c/K, the segment's mean (momentum-scaled) step.</li>
 *   <li>With {@code HESSIAN}, negative eigenvalues are propagated as the formula says
 *       (exp(c|σ|) growth); the Fisher-type estimates are positive semi-definite.</li>
 * </ul>
 */
package dev.unroll.tda.source;
