package dev.unroll.tda.curvature;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.grad.Gradients;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The diagonal of a Fisher-type curvature, d_j = (1/N)·Σₙ Σ_c (uₙ_c)_j² (the empirical Fisher
 * diagonal for {@link FisherType#EMPIRICAL}), in block order and float64. Spectral functions act
 * entrywise: φ(diag(d))v = φ(d) ⊙ v.
 */
public final class DiagonalCurvature {
  private final GradientLayout layout;
  private final double[] diagonal;
  private final Map<String, String> settings;

  public DiagonalCurvature(GradientLayout layout, double[] diagonal, Map<String, String> settings) {
    if (diagonal.length != layout.size()) throw new IllegalArgumentException("a diagonal of " + diagonal.length + " entries for " + layout.size() + " parameters");
    this.layout = layout;
    this.diagonal = diagonal.clone();
    this.settings = new LinkedHashMap<>(settings);
  }

  public static DiagonalCurvature fit(AttributionTask task, List<Tensor> params, FitOptions options) {
    GradientLayout layout = task.layout();
    Tensor[] acc = {Tensor.zeros(DType.F64, layout.size())};
    int n = options.examples(task.numTrain());
    for (int[] rows : Gradients.ranges(n, options.batchSize())) {
      Batch b = task.train().batch(rows);
      CapturedPass.run(task.model(), layout, params, b.x(), pass -> {
        List<Tensor> cots = OutputDirections.of(task.loss(), options, pass.output(), b.y(), rows);
        for (int k = 0; k < cots.size(); k++) {
          Tensor u = pass.flatGradients(pass.vjp(cots.get(k), k + 1 < cots.size())).to(DType.F64);
          try (var g = GradMode.off()) {
            acc[0] = acc[0].add(u.mul(u).sum(0));
          }
        }
        return null;
      });
    }
    double[] d = acc[0].toDoubleArray();
    for (int j = 0; j < d.length; j++) d[j] /= n;
    Map<String, String> s = new LinkedHashMap<>(Ekfac.settings(task, params, options));
    s.put("curvature", "diagonal");
    return new DiagonalCurvature(layout, d, s);
  }

  public GradientLayout layout() { return layout; }

  public double[] diagonal() { return diagonal.clone(); }

  public Map<String, String> settings() { return settings; }

  public double meanEigenvalue() {
    double s = 0;
    for (double x : diagonal) s += x;
    return s / diagonal.length;
  }

  /** φ(d) ⊙ v for every row of {@code g} [Q, P], float64. */
  public Tensor apply(SpectralFunction phi, Tensor g) {
    if (g.rank() != 2 || g.dim(1) != layout.size()) throw new IllegalArgumentException("apply: gradients of shape " + Arrays.toString(g.shape()) + ", expected [Q, " + layout.size() + "]");
    double[] f = new double[diagonal.length];
    for (int j = 0; j < f.length; j++) f[j] = phi.at(diagonal[j]);
    try (var s = GradMode.off()) {
      return g.to(DType.F64).mul(Tensor.of(f, 1, f.length));
    }
  }

  /** The damped inverse 1/(d + λ) with λ from {@code damping} (mean eigenvalue = mean of the diagonal). */
  public SpectralFunction inverse(Damping damping) {
    return SpectralFunction.inverse(damping.resolve(meanEigenvalue()));
  }
}
