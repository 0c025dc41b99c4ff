/**
 * Training data attribution. Sign convention everywhere (method.md §1): a score τ(z_q, z_m) is the
 * predicted change of the measurement f(z_q, θ) when z_m is removed from training, so positive τ
 * means removing z_m would increase f.
 *
 * <ul>
 *   <li>{@link dev.unroll.tda.AttributionTask}: model, training loss, measurement, training set,
 *       queries; parameter values are passed separately to every method (checkpoints).</li>
 *   <li>{@link dev.unroll.tda.Scores}: [queries × train] values with method name and settings;
 *       .npy + JSON files; self-influence; ensembles.</li>
 *   <li>{@link dev.unroll.tda.Damping}: how λ in (G + λI)⁻¹ is chosen.</li>
 *   <li>{@code grad}: the block layout of parameters, captured passes, streamed per-example
 *       gradients and scoring.</li>
 *   <li>{@code curvature}: exact and approximate curvature (Hessian, Gauss-Newton / Fisher,
 *       diagonal, K-FAC, EK-FAC), spectral functions, solvers, the factor cache.</li>
 *   <li>{@code methods}: influence functions with every preconditioner, gradient similarity, TRAK,
 *       representation similarity, ensembles.</li>
 * </ul>
 */
package dev.unroll.tda;
