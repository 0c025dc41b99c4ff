package dev.unroll.tda.methods;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.grad.GradientDots;
import dev.unroll.tda.grad.Gradients;
import java.util.List;
import java.util.Map;

/**
 * A symmetric matrix P applied to gradients in block order: the (damped, inverse) curvature of an
 * influence function, τ(q, m) = ∇f(z_q)ᵀ P ∇L(z_m). Scoring applies P to the query gradients once
 * and streams the training gradients against them.
 */
public interface Preconditioner {
  /** A short name that goes into the method name, e.g. {@code ekfac}, {@code cg(gauss-newton)}. */
  String name();

  /** Everything that determines P (damping values, fit arguments, solver tolerances, ...). */
  Map<String, String> settings();

  /** P·v for every row v of {@code g} [Q, P], as float64 [Q, P]. */
  Tensor apply(Tensor g);

  /**
   * τ[q][n] = ⟨P·∇f(z_q, θ), ∇L(z_n, θ)⟩ for every query and training example of {@code task} at
   * {@code params}. The default applies P to the query gradients and streams the training
   * gradients against them ({@link GradientDots}); structured preconditioners may score another way
   * with the same result.
   */
  default double[][] pairwise(AttributionTask task, List<Tensor> params, ScoreOptions o) {
    return GradientDots.pairwise(task, params, apply(Gradients.queries(task, params, o.queryBatchSize())), o.trainBatchSize());
  }

  /**
   * gₙᵀ P gₙ for every example of a training batch (self-influence). The default applies P to the
   * batch's gradients; structured preconditioners override it with something cheaper.
   */
  default double[] selfInfluence(Gradients.TrainingBatch batch) {
    Tensor g = batch.gradients().to(DType.F64);
    return GradientDots.rowDots(apply(g), g);
  }
}
