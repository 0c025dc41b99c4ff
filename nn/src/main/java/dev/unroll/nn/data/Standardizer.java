package dev.unroll.nn.data;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Targets;
import java.util.Arrays;

/**
 * Per-feature standardisation z = (x − μ) / σ, fitted on training data and applied unchanged to
 * test data. A feature is one position of the trailing axes of x [N, ...]. In float64:
 * μ_j = (1/N) Σ_i x_ij and σ_j = sqrt((1/N) Σ_i (x_ij − μ_j)²) (population standard deviation, two
 * passes); a constant feature (σ_j = 0) gets σ_j = 1, so it maps to 0 rather than to NaN. Results
 * keep the input's dtype.
 */
public final class Standardizer {
  private final double[] mean;
  private final double[] std;

  private Standardizer(double[] mean, double[] std) {
    this.mean = mean;
    this.std = std;
  }

  /** From given statistics (σ_j must be positive). */
  public static Standardizer of(double[] mean, double[] std) {
    if (mean.length != std.length) throw new IllegalArgumentException(mean.length + " means but " + std.length + " standard deviations");
    for (int j = 0; j < std.length; j++) {
      if (!(std[j] > 0)) throw new IllegalArgumentException("standard deviation " + std[j] + " of feature " + j + " is not positive");
    }
    return new Standardizer(mean.clone(), std.clone());
  }

  /** Fits μ and σ over the first axis of {@code x} [N, ...] (N ≥ 1). */
  public static Standardizer fit(Tensor x) {
    if (x.rank() < 1 || x.dim(0) < 1) throw new IllegalArgumentException("Standardizer.fit needs at least one row, got shape " + Arrays.toString(x.shape()));
    int n = x.dim(0), f = x.numel() / n;
    double[] v = x.toDoubleArray();
    double[] mean = new double[f], std = new double[f];
    for (int i = 0; i < n; i++) for (int j = 0; j < f; j++) mean[j] += v[i * f + j];
    for (int j = 0; j < f; j++) mean[j] /= n;
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < f; j++) {
        double d = v[i * f + j] - mean[j];
        std[j] += d * d;
      }
    }
    for (int j = 0; j < f; j++) {
      std[j] = Math.sqrt(std[j] / n);
      if (std[j] == 0) std[j] = 1;
    }
    return new Standardizer(mean, std);
  }

  /** Fits on the inputs of {@code train}. */
  public static Standardizer fitInputs(Dataset train) {
    return fit(train.x());
  }

  /** Fits on the regression targets of {@code train}. */
  public static Standardizer fitTargets(Dataset train) {
    return fit(regression(train).values());
  }

  /** μ per feature (a copy). */
  public double[] mean() {
    return mean.clone();
  }

  /** σ per feature (a copy; 1 for constant features). */
  public double[] std() {
    return std.clone();
  }

  /** (x − μ) / σ per feature, in x's dtype. */
  public Tensor transform(Tensor x) {
    return map(x, false);
  }

  /** z σ + μ per feature, in z's dtype: the inverse of {@link #transform}. */
  public Tensor inverse(Tensor z) {
    return map(z, true);
  }

  /** {@code data} with standardised inputs (same examples and indices). */
  public Dataset transformInputs(Dataset data) {
    return data.withInputs(transform(data.x()));
  }

  /** {@code data} with standardised regression targets. */
  public Dataset transformTargets(Dataset data) {
    return data.withTargets(new Targets.Regression(transform(regression(data).values())));
  }

  private Tensor map(Tensor x, boolean inverse) {
    int f = mean.length;
    if (x.rank() < 1 || x.numel() != x.dim(0) * f) {
      throw new IllegalArgumentException("Standardizer fitted on " + f + " features applied to shape " + Arrays.toString(x.shape()));
    }
    double[] v = x.toDoubleArray();
    int n = x.dim(0);
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < f; j++) {
        int k = i * f + j;
        v[k] = inverse ? v[k] * std[j] + mean[j] : (v[k] - mean[j]) / std[j];
      }
    }
    return x.dtype() == DType.F64 ? Tensor.of(v, x.shape()) : Tensor.of(DType.F32, v, x.shape());
  }

  private static Targets.Regression regression(Dataset d) {
    if (d.y() instanceof Targets.Regression r) return r;
    throw new IllegalArgumentException("data set '" + d.name() + "' has class labels; only regression targets are standardised");
  }
}
