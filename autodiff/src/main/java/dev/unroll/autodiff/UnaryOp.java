package dev.unroll.autodiff;

/**
 * Elementwise maps y = f(x) that the backends implement as kernels. Their derivatives are not here:
 * they live beside each differentiable op in {@link Ops}. {@code STEP} and {@code SIGN} have zero
 * derivative almost everywhere and are used inside derivative rules (masks).
 */
public enum UnaryOp {
  /** y = −x */ NEG,
  /** y = eˣ */ EXP,
  /** y = ln x */ LOG,
  /** y = ln(1 + x), accurate near 0 */ LOG1P,
  /** y = eˣ − 1, accurate near 0 */ EXPM1,
  /** y = √x */ SQRT,
  /** y = tanh x */ TANH,
  /** y = 1 / (1 + e⁻ˣ) */ SIGMOID,
  /** y = max(x, 0) */ RELU,
  /** y = |x| */ ABS,
  /** y = sign(x) ∈ {−1, 0, 1} */ SIGN,
  /** y = 1 if x &gt; 0 else 0 */ STEP;

  /** Scalar definition in double precision: the reference every kernel is tested against. */
  public double apply(double x) {
    return switch (this) {
      case NEG -> -x;
      case EXP -> Math.exp(x);
      case LOG -> Math.log(x);
      case LOG1P -> Math.log1p(x);
      case EXPM1 -> Math.expm1(x);
      case SQRT -> Math.sqrt(x);
      case TANH -> Math.tanh(x);
      case SIGMOID -> x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
      case RELU -> x > 0 ? x : 0.0;
      case ABS -> Math.abs(x);
      case SIGN -> Math.signum(x);
      case STEP -> x > 0 ? 1.0 : 0.0;
    };
  }

  /** Scalar definition in single precision (computed in double, rounded once). */
  public float apply(float x) {
    return (float) apply((double) x);
  }
}
