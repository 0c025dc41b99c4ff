/**
 * Curvature of the mean training loss (1/N)·Σₙ L(zₙ, θ) and functions of it, in block order.
 *
 * <ul>
 *   <li>{@link dev.unroll.tda.curvature.FisherType} and {@link dev.unroll.tda.curvature.OutputDirections}:
 *       empirical Fisher, true Fisher with labels sampled from the model (seeded per example), or
 *       its exact expectation, the Gauss-Newton matrix.</li>
 *   <li>{@link dev.unroll.tda.curvature.Ekfac}: K-FAC and EK-FAC on Linear and Conv2d layers in three
 *       steps ({@link dev.unroll.tda.curvature.KroneckerFactors} → {@link dev.unroll.tda.curvature.KroneckerBasis}
 *       → eigenvalue correction) giving a block-diagonal
 *       {@link dev.unroll.tda.curvature.KroneckerCurvature}, to which any
 *       {@link dev.unroll.tda.curvature.SpectralFunction} applies layer by layer.</li>
 *   <li>{@link dev.unroll.tda.curvature.DenseCurvature} (exact Hessian or Fisher-type matrix, small
 *       models), {@link dev.unroll.tda.curvature.DiagonalCurvature}, and
 *       {@link dev.unroll.tda.curvature.CurvatureOperators} (Hessian- and Gauss-Newton-vector
 *       products for {@link dev.unroll.tda.curvature.IterativeSolvers}).</li>
 *   <li>{@link dev.unroll.tda.curvature.FactorStore} and {@link dev.unroll.tda.curvature.Fingerprints}:
 *       fitted factors on disk (safetensors + JSON arguments), refused when the arguments differ.</li>
 * </ul>
 * Eigendecompositions and everything derived from the factors are float64.
 */
package dev.unroll.tda.curvature;
