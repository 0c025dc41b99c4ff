package dev.unroll.tda.source;

import dev.unroll.optim.OptimizerSpec;

/**
 * How the optimizer of one training stage moves the parameters, as far as SOURCE's linearisation
 * needs it (method.md §4). Writing J for the mean training loss and λ for the weight decay:
 * <ul>
 *   <li>{@link Kind#SGD}: θ ← θ − η_eff (∇J + λθ) with η_eff = η/(1 − β) for (heavy-ball or Nesterov)
 *       momentum β (the stationary velocity of a constant gradient); the curvature is H̄ + λI.</li>
 *   <li>{@link Kind#ADAM} (L2 decay added to the gradient): θ ← θ − η P (∇J + λθ) with P the diagonal
 *       preconditioner 1/(√v̂ + ε); the bias-corrected first moment m̂ is taken as the stationary
 *       gradient, so η is not rescaled.</li>
 *   <li>{@link Kind#ADAMW} (decoupled decay): θ ← (1 − ηλ)θ − η P ∇J.</li>
 * </ul>
 *
 * @param lrScale the factor turning the summed learning rate into SOURCE's c: 1/(1 − β) for SGD
 *     with momentum β, 1 otherwise
 */
public record StageDynamics(Kind kind, double lrScale, double weightDecay) {
  /** The optimizer families SOURCE distinguishes. */
  public enum Kind { SGD, ADAM, ADAMW }

  public StageDynamics {
    if (kind == null) throw new IllegalArgumentException("stage dynamics need an optimizer kind");
    if (!(lrScale > 0) || Double.isInfinite(lrScale)) throw new IllegalArgumentException("learning-rate scale must be positive and finite, got " + lrScale);
    if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) throw new IllegalArgumentException("weight decay must be finite and ≥ 0, got " + weightDecay);
  }

  /** SGD with momentum β (0 for none) and weight decay λ: c = Σ η / (1 − β). */
  public static StageDynamics sgd(double momentum, double weightDecay) {
    if (!(momentum >= 0 && momentum < 1)) throw new IllegalArgumentException("SGD momentum must be in [0, 1), got " + momentum);
    return new StageDynamics(Kind.SGD, 1 / (1 - momentum), weightDecay);
  }

  /** Plain gradient descent without weight decay. */
  public static StageDynamics plain() {
    return sgd(0, 0);
  }

  /** The dynamics of an optimizer configuration. */
  public static StageDynamics of(OptimizerSpec spec) {
    return switch (spec.type()) {
      case "sgd" -> sgd(spec.momentum(), spec.weightDecay());
      case "adam" -> new StageDynamics(Kind.ADAM, 1, spec.weightDecay());
      case "adamw" -> new StageDynamics(Kind.ADAMW, 1, spec.weightDecay());
      default -> throw new IllegalArgumentException("SOURCE knows the optimizers sgd, adam and adamw, not '" + spec.type() + "'");
    };
  }

  /** Whether the optimizer has a diagonal preconditioner (Adam, AdamW). */
  public boolean preconditioned() {
    return kind != Kind.SGD;
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase() + "(lr_scale=" + lrScale + ", weight_decay=" + weightDecay + ")";
  }
}
