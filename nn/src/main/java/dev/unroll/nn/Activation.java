package dev.unroll.nn;

/** The elementwise nonlinearities, as a choice for builders such as {@link Mlp}. */
public enum Activation {
  RELU, TANH, GELU;

  /** A new module applying this nonlinearity. */
  public Module create() {
    return switch (this) {
      case RELU -> new ReLU();
      case TANH -> new Tanh();
      case GELU -> new GELU();
    };
  }
}
