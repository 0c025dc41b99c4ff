package dev.unroll.optim;

/**
 * The hyperparameters of an optimizer as a plain record (what a run configuration stores; every
 * field is a primitive, so it serialises with any JSON library). Fields an optimizer does not use
 * are 0 / false.
 *
 * @param type "sgd", "adam" or "adamw"
 */
public record OptimizerSpec(String type, double momentum, boolean nesterov, double weightDecay, double beta1, double beta2, double eps) {
  public OptimizerSpec {
    if (!type.equals("sgd") && !type.equals("adam") && !type.equals("adamw")) {
      throw new IllegalArgumentException("unknown optimizer type '" + type + "' (known: sgd, adam, adamw)");
    }
  }

  public static OptimizerSpec sgd(double momentum, double weightDecay, boolean nesterov) {
    return new OptimizerSpec("sgd", momentum, nesterov, weightDecay, 0, 0, 0);
  }

  public static OptimizerSpec adam(double beta1, double beta2, double eps, double weightDecay) {
    return new OptimizerSpec("adam", 0, false, weightDecay, beta1, beta2, eps);
  }

  public static OptimizerSpec adamW(double beta1, double beta2, double eps, double weightDecay) {
    return new OptimizerSpec("adamw", 0, false, weightDecay, beta1, beta2, eps);
  }

  /** A fresh optimizer (empty state) with these hyperparameters. */
  public Optimizer create() {
    return switch (type) {
      case "sgd" -> new Sgd(momentum, weightDecay, nesterov);
      case "adam" -> new Adam(beta1, beta2, eps, weightDecay);
      case "adamw" -> new AdamW(beta1, beta2, eps, weightDecay);
      default -> throw new IllegalStateException(type);
    };
  }
}
