package dev.unroll.tda.curvature;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Module;
import dev.unroll.nn.ParameterVector;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.grad.Gradients;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An explicit P × P curvature matrix in block order, for small models and as the oracle of the
 * approximations: the exact Hessian of the mean training loss, or a Gauss-Newton / Fisher matrix
 * (1/N)·Σₙ Σ_c uₙ_c uₙ_cᵀ ({@link FisherType}). Spectral functions are applied through its
 * float64 eigendecomposition, φ(G)v = Q φ(λ) Qᵀ v, computed once on first use.
 */
public final class DenseCurvature {
  private final GradientLayout layout;
  private final double[][] matrix;
  private final String kind;
  private final Map<String, String> settings;
  private SymmetricEigen eigen;
  private Tensor q;

  public DenseCurvature(GradientLayout layout, double[][] matrix, String kind, Map<String, String> settings) {
    if (matrix.length != layout.size()) throw new IllegalArgumentException("a " + matrix.length + " x " + matrix.length + " curvature for " + layout.size() + " parameters");
    this.layout = layout;
    this.matrix = matrix;
    this.kind = kind;
    this.settings = new LinkedHashMap<>(settings);
  }

  /**
   * The exact Hessian ∇²_θ (1/N)·Σₙ L(zₙ, θ) at {@code params} (one Hessian-vector product per
   * parameter, float64 recommended), over the first {@code options.examples(N)} examples.
   */
  public static DenseCurvature hessian(AttributionTask task, List<Tensor> params, FitOptions options) {
    Module model = task.model();
    ParameterVector pv = task.layout().parameterVector();
    List<Tensor> leaves = CapturedPass.leaves(params);
    Tensor theta = ParameterVector.concat(leaves).detach();
    int n = options.examples(task.numTrain());
    List<int[]> ranges = Gradients.ranges(n, options.batchSize());
    double[][] h = Derivatives.hessian(t -> model.withParameters(pv.split(t), () -> {
      Tensor total = null;
      for (int[] rows : ranges) {
        Batch b = task.train().batch(rows);
        Tensor l = task.loss().sum(model.forward(b.x().to(t.dtype())), b.y());
        total = total == null ? l : total.add(l);
      }
      return total.div(n);
    }), theta);
    Map<String, String> s = new LinkedHashMap<>(Ekfac.settings(task, params, options));
    s.remove("fisher");
    s.remove("seed");
    s.remove("samples");
    s.put("curvature", "hessian");
    return new DenseCurvature(task.layout(), task.layout().toBlockOrder(h), "hessian", s);
  }

  /**
   * The Fisher-type matrix (1/N)·Σₙ Σ_c uₙ_c uₙ_cᵀ: the Gauss-Newton matrix for
   * {@link FisherType#EXPECTED}, the empirical Fisher for {@link FisherType#EMPIRICAL}, its
   * label-sampled estimate for {@link FisherType#SAMPLED}.
   */
  public static DenseCurvature fisher(AttributionTask task, List<Tensor> params, FitOptions options) {
    GradientLayout layout = task.layout();
    int p = layout.size();
    Tensor[] acc = {Tensor.zeros(DType.F64, p, p)};
    int n = options.examples(task.numTrain());
    for (int[] rows : Gradients.ranges(n, options.batchSize())) {
      Batch b = task.train().batch(rows);
      CapturedPass.run(task.model(), layout, params, b.x(), pass -> {
        List<Tensor> cots = OutputDirections.of(task.loss(), options, pass.output(), b.y(), rows);
        for (int k = 0; k < cots.size(); k++) {
          Tensor u = pass.flatGradients(pass.vjp(cots.get(k), k + 1 < cots.size())).to(DType.F64);
          try (var g = GradMode.off()) {
            acc[0] = acc[0].add(u.t().matmul(u));
          }
        }
        return null;
      });
    }
    double[] flat = acc[0].toDoubleArray();
    double[][] m = new double[p][p];
    for (int i = 0; i < p; i++) for (int j = 0; j < p; j++) m[i][j] = flat[i * p + j] / n;
    Map<String, String> s = new LinkedHashMap<>(Ekfac.settings(task, params, options));
    String kind = options.fisher() == FisherType.EXPECTED ? "gauss-newton" : options.fisher() == FisherType.EMPIRICAL ? "empirical-fisher" : "sampled-fisher";
    s.put("curvature", kind);
    return new DenseCurvature(layout, m, kind, s);
  }

  public GradientLayout layout() { return layout; }

  /** The matrix in block order (not a copy). */
  public double[][] matrix() { return matrix; }

  /** {@code hessian}, {@code gauss-newton}, {@code empirical-fisher} or {@code sampled-fisher}. */
  public String kind() { return kind; }

  public Map<String, String> settings() { return settings; }

  /** The eigendecomposition (computed once). */
  public SymmetricEigen eigen() {
    if (eigen == null) {
      eigen = SymmetricEigen.of(matrix);
      q = KroneckerEigen.matrix(eigen.q());
    }
    return eigen;
  }

  /** trace / P. */
  public double meanEigenvalue() {
    double t = 0;
    for (int i = 0; i < matrix.length; i++) t += matrix[i][i];
    return t / matrix.length;
  }

  /** φ(G)·v for every row v of {@code g} [Q, P] (block order), float64 [Q, P]. */
  public Tensor apply(SpectralFunction phi, Tensor g) {
    if (g.rank() != 2 || g.dim(1) != layout.size()) throw new IllegalArgumentException("apply: gradients of shape " + Arrays.toString(g.shape()) + ", expected [Q, " + layout.size() + "]");
    SymmetricEigen e = eigen();
    double[] f = new double[e.size()];
    for (int j = 0; j < f.length; j++) f[j] = phi.at(e.values()[j]);
    try (var s = GradMode.off()) {
      return g.to(DType.F64).matmul(q).mul(Tensor.of(f, 1, f.length)).matmul(q.t());
    }
  }

  /** The matrix as an operator on flat block-order vectors. */
  public LinearOperator operator() {
    return LinearOperator.dense(matrix);
  }
}
