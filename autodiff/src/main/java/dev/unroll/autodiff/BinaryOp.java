package dev.unroll.autodiff;

/**
 * Elementwise z = f(a, b) that the backends implement as kernels (broadcasting is resolved by the
 * caller into runs with strides). Comparison ops return 1 or 0 in the operands' dtype.
 */
public enum BinaryOp {
  /** z = a + b */ ADD,
  /** z = a − b */ SUB,
  /** z = a · b */ MUL,
  /** z = a / b */ DIV,
  /** z = aᵇ */ POW,
  /** z = max(a, b) */ MAX,
  /** z = min(a, b) */ MIN,
  /** z = 1 if a == b else 0 */ EQ,
  /** z = 1 if a &gt; b else 0 */ GT;

  /** Scalar definition in double precision. */
  public double apply(double a, double b) {
    return switch (this) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      case POW -> Math.pow(a, b);
      case MAX -> Math.max(a, b);
      case MIN -> Math.min(a, b);
      case EQ -> a == b ? 1.0 : 0.0;
      case GT -> a > b ? 1.0 : 0.0;
    };
  }

  /** Scalar definition in single precision; ADD/SUB/MUL/DIV round exactly as float arithmetic. */
  public float apply(float a, float b) {
    return switch (this) {
      case ADD -> a + b;
      case SUB -> a - b;
      case MUL -> a * b;
      case DIV -> a / b;
      default -> (float) apply((double) a, (double) b);
    };
  }
}
