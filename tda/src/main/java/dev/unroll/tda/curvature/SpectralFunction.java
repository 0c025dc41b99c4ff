package dev.unroll.tda.curvature;

/**
 * A scalar function φ of a curvature eigenvalue σ; applied to a symmetric matrix G = QΛQᵀ it gives
 * φ(G) = Q φ(Λ) Qᵀ. One operation serves every method: the damped inverse (influence functions),
 * and SOURCE's propagation exp(−cσ) and in-segment gain (1 − exp(−cσ))/σ, plus their "power" forms
 * for K steps of gradient descent with step η.
 */
public interface SpectralFunction {
  double at(double sigma);

  /** A description recorded beside scores, e.g. {@code inverse(damping=0.01)}. */
  String describe();

  static SpectralFunction of(String description, java.util.function.DoubleUnaryOperator f) {
    return new SpectralFunction() {
      public double at(double s) {
        return f.applyAsDouble(s);
      }

      public String describe() {
        return description;
      }
    };
  }

  /** φ(σ) = 1/(σ + λ): the damped inverse of influence functions. */
  static SpectralFunction inverse(double damping) {
    return of("inverse(damping=" + damping + ")", s -> 1.0 / (s + damping));
  }

  /** φ(σ) = exp(−cσ): SOURCE's propagation through a segment with summed learning rate c. */
  static SpectralFunction propagate(double c) {
    return of("exp(-c*s, c=" + c + ")", s -> Math.exp(-c * s));
  }

  /**
   * φ(σ) = (1 − exp(−cσ))/σ, computed as −expm1(−cσ)/σ, which tends to c as σ → 0: SOURCE's
   * contribution of a point within a segment. Bounded for σ ≥ 0, so no damping is needed.
   */
  static SpectralFunction segmentGain(double c) {
    return of("(1-exp(-c*s))/s, c=" + c, s -> {
      double x = c * s;
      return Math.abs(x) < 1e-12 ? c * (1 - x / 2) : -Math.expm1(-x) / s;
    });
  }

  /** φ(σ) = (1 − ησ)^K: K steps of gradient descent with step η on a quadratic of curvature σ. */
  static SpectralFunction powerPropagate(double eta, int k) {
    return of("(1-eta*s)^K, eta=" + eta + ", K=" + k, s -> Math.pow(1 - eta * s, k));
  }

  /**
   * φ(σ) = (1 − (1 − ησ)^K)/σ = η Σ_{j<K} (1 − ησ)^j, the power form of {@link #segmentGain}; exactly
   * what K gradient-descent steps accumulate. Computed by the geometric sum's closed form away
   * from σ = 0 and by the sum itself near it, where the closed form cancels.
   */
  static SpectralFunction powerGain(double eta, int k) {
    return of("(1-(1-eta*s)^K)/s, eta=" + eta + ", K=" + k, s -> {
      double x = eta * s;
      if (Math.abs(x) * k < 1e-3) {
        double sum = 0, term = 1;
        for (int j = 0; j < k; j++) {
          sum += term;
          term *= 1 - x;
        }
        return eta * sum;
      }
      return (1 - Math.pow(1 - x, k)) / s;
    });
  }
}
