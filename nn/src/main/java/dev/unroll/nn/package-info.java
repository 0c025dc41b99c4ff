/**
 * Unroll module `nn`: networks and what attribution needs from them.
 * <ul>
 *   <li>{@link dev.unroll.nn.Module} and {@link dev.unroll.nn.Parameter}: named parameters in a fixed
 *       order ("layers.0.weight"); layers {@link dev.unroll.nn.Linear}, {@link dev.unroll.nn.Conv2d},
 *       pooling, activations, {@link dev.unroll.nn.ResidualBlock}, {@link dev.unroll.nn.Sequential},
 *       {@link dev.unroll.nn.Mlp}; PyTorch's default initialisation ({@link dev.unroll.nn.Init}).</li>
 *   <li>{@link dev.unroll.nn.ParameterVector}: all parameters as one flat vector and back, and
 *       {@link dev.unroll.nn.Module#withParameters} to evaluate the model at other parameter values
 *       (graph nodes included) for Hessian-vector products.</li>
 *   <li>{@link dev.unroll.nn.Capture}, {@link dev.unroll.nn.KfacLayer} and
 *       {@link dev.unroll.nn.PerExampleGradients}: layer inputs and output gradients for K-FAC /
 *       EK-FAC and per-example gradients by outer products.</li>
 *   <li>{@link dev.unroll.nn.Loss} (per-example values, mean, weighted mean, sampled targets for the
 *       true Fisher) and {@link dev.unroll.nn.Measurement} (absolute error, margin, loss).</li>
 *   <li>{@link dev.unroll.nn.Targets} and {@link dev.unroll.nn.Batch}, shared with data loading.</li>
 * </ul>
 */
package dev.unroll.nn;
