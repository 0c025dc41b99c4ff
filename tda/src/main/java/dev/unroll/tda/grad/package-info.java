/**
 * Gradients for attribution, never more than one batch of per-example gradients at a time.
 *
 * <p>{@link dev.unroll.tda.grad.GradientLayout} orders the parameters as one block per Linear or
 * Conv2d layer, the homogeneous matrix [W | b] of shape [out, in(+1)]; every flat vector of this
 * package ("block order") uses it. {@link dev.unroll.tda.grad.CapturedPass} runs a batch forward at
 * given parameter values with every layer captured and back-propagates any scalar or output
 * cotangent to the layers' pre-activations; per-example gradients follow from the outer-product
 * identity. {@link dev.unroll.tda.grad.Gradients} streams the training set and computes query
 * gradients; {@link dev.unroll.tda.grad.GradientDots} scores fixed vectors against the streamed
 * training gradients (one GEMM per block and batch; rank-one blocks without forming the
 * per-example gradients). A Linear layer's per-example gradient is rank one, g āᵀ, so its squared
 * norm is ‖g‖²‖ā‖² ({@link dev.unroll.tda.grad.CapturedPass#squaredNorms}: gradient cosine, the
 * gradient-dot and TracIn self-influences) and its factors g, ā serve the eigenbasis forms of K-FAC,
 * EK-FAC and SOURCE ({@link dev.unroll.tda.grad.CapturedPass#rankOneFactors}).
 */
package dev.unroll.tda.grad;
