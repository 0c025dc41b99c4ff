package dev.unroll.optim.train;

/** Training produced a non-finite loss (or non-finite final parameters); the run stops at that step. */
public final class DivergenceException extends RuntimeException {
  private final int step;
  private final double loss;

  DivergenceException(int step, double loss, String message) {
    super(message);
    this.step = step;
    this.loss = loss;
  }

  /** The global step (0-based) whose loss was not finite; T when the final parameters were. */
  public int step() {
    return step;
  }

  /** The offending loss value (NaN or ±∞). */
  public double loss() {
    return loss;
  }
}
