package dev.unroll.autodiff;

/**
 * Every differentiable op of the engine. Primitive ops record a node with their own derivative
 * rule in {@link Ops}; composite ops are compositions of primitives and record nothing themselves.
 * The gradient-check test has one case per constant here and fails when one is missing.
 */
public enum Op {
  // primitives: forward kernel + derivative rule
  ADD, SUB, MUL, DIV, NEG, POW, EXP, LOG, SQRT, TANH, SIGMOID, RELU, SOFTPLUS, ABS,
  MATMUL, PERMUTE, RESHAPE, EXPAND, SLICE, PAD, CONCAT, GATHER, SCATTER_ADD,
  SUM, MAX, WHERE, IM2COL, COL2IM, CONTIGUOUS, CAST, TRANSFER,
  // composites
  GELU(true), MEAN(true), INDEX_SELECT(true), SOFTMAX(true), LOG_SOFTMAX(true), LOGSUMEXP(true),
  CONV2D(true), MAX_POOL2D(true), AVG_POOL2D(true), MSE_LOSS(true), CROSS_ENTROPY(true);

  /** True for ops defined as compositions of primitives. */
  public final boolean composite;

  Op() {
    this(false);
  }

  Op(boolean composite) {
    this.composite = composite;
  }
}
