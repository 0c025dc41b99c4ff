package dev.unroll.tda.unroll;

import dev.unroll.autodiff.Tensor;
import java.util.List;

/**
 * The adjoint of one optimizer update (θ', σ') = U(θ, σ, g): given (a_θ', a_σ') it returns
 * (a_θ'ᵀ∂θ'/∂θ + a_σ'ᵀ∂σ'/∂θ, … ∂/∂σ, … ∂/∂g) as detached tensors shaped like θ, σ and g.
 */
interface UpdateVjp {
  List<Tensor>[] apply(List<Tensor> aTheta, List<Tensor> aSigma);
}
