package dev.unroll.autodiff;

/** A recorded op application: what produced a tensor, from which inputs, and its derivative rule. */
final class Node {
  final Op op;
  Tensor[] inputs;
  Backward backward;

  Node(Op op, Tensor[] inputs, Backward backward) {
    this.op = op;
    this.inputs = inputs;
    this.backward = backward;
  }

  boolean freed() {
    return backward == null;
  }

  void free() {
    backward = null;
    inputs = null;
  }

  /**
   * A vector-Jacobian product rule: given the gradient g with respect to the op's output, the
   * gradients with respect to each input (null where none flows). A gradient may have the output's
   * broadcast shape; the engine sums it back to the input's shape.
   */
  @FunctionalInterface
  interface Backward {
    Tensor[] apply(Tensor g);
  }
}
