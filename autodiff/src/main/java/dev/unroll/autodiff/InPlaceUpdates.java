package dev.unroll.autodiff;

/**
 * An optional capability of a {@link Backend} whose tensors do not live in Java arrays: the
 * optimizers' per-element updates fused into one kernel that overwrites the parameter and its
 * buffers in place, instead of a chain of elementwise ops and copies. The CPU keeps its own
 * allocation-free loops (in the optim module); a device backend implements these with the same
 * operations in the same order, so that from equal inputs both give the same bits.
 *
 * <p>All tensors are of this backend, of one dtype and one shape, contiguous; the parameter and
 * buffers are leaves owning their storage. Constants are given in float64 and rounded once to the
 * tensors' dtype (as the CPU kernels do for float32).
 */
public interface InPlaceUpdates {
  /**
   * SGD (optim.Sgd): d = g, plus p·wd when {@code decay}; with {@code v} non-null
   * v ← v·μ + d and d = d + v·μ (Nesterov) or d = v; then p ← p − d·η.
   */
  void sgdStep(Tensor p, Tensor g, Tensor v, double lr, double momentum, double weightDecay, boolean decay, boolean nesterov);

  /**
   * Adam / AdamW (optim.Adam): p ← p·decay when {@code decoupled}; d = g, plus p·wd when
   * {@code l2}; m ← m·β₁ + d·c₁; v ← v·β₂ + d·d·c₂; p ← p − m / (√v / bc2 + ε) · stepSize.
   */
  void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, double beta1, double c1, double beta2, double c2, double eps,
      double weightDecay, double decay, double stepSize, double bc2Sqrt, boolean l2, boolean decoupled);
}
