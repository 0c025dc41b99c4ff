package dev.unroll.tda.methods;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.Damping;
import dev.unroll.tda.curvature.DenseCurvature;
import dev.unroll.tda.curvature.DiagonalCurvature;
import dev.unroll.tda.curvature.IterativeSolvers;
import dev.unroll.tda.curvature.KroneckerCurvature;
import dev.unroll.tda.curvature.LinearOperator;
import dev.unroll.tda.curvature.SpectralFunction;
import dev.unroll.tda.grad.Gradients;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ways to apply an (approximate, damped) inverse curvature (method.md §3): the identity
 * (gradient dot product), an explicit eigendecomposed matrix, conjugate gradient and LiSSA on
 * curvature-vector products, a diagonal, and K-FAC / EK-FAC, plus any spectral function of a
 * Kronecker curvature (what SOURCE uses).
 */
public final class Preconditioners {
  private Preconditioners() {}

  /**
   * The settings key under which the iterative solvers (CG, LiSSA) count the solves that stopped at
   * their iteration limit before meeting their tolerance (beside {@code solves}, all of them).
   */
  public static final String UNCONVERGED = "solves_not_converged";

  /** P = I: scores are plain gradient dot products. */
  public static Preconditioner identity() {
    return new Preconditioner() {
      public String name() { return "identity"; }

      public Map<String, String> settings() { return Map.of(); }

      public Tensor apply(Tensor g) { return g.to(DType.F64); }
    };
  }

  /** P = (G + λI)⁻¹ through G's eigendecomposition, λ from {@code damping} (mean eigenvalue = trace/P). */
  public static Preconditioner explicit(DenseCurvature g, Damping damping) {
    double lambda = damping.resolve(g.meanEigenvalue());
    SpectralFunction inv = SpectralFunction.inverse(lambda);
    Map<String, String> s = new LinkedHashMap<>(g.settings());
    s.put("damping", damping.describe());
    s.put("damping_value", Double.toString(lambda));
    s.put("solver", "eigendecomposition");
    return new Fixed("explicit(" + g.kind() + ")", s, x -> g.apply(inv, x));
  }

  /**
   * P = (G + λI)⁻¹ by conjugate gradient, the rows solved in lockstep (one operator sweep per
   * iteration for all of them), each to relative residual {@code tol}.
   * {@code damping} must be a fixed value or the learning-time rule (an operator has no cheap mean
   * eigenvalue). Records the largest iteration count and residual.
   */
  public static Preconditioner conjugateGradient(LinearOperator g, String operatorName, Damping damping, double tol, int maxIter) {
    IterativeSolvers.checkLimits("conjugate gradient", tol, maxIter);
    double lambda = fixedDamping(damping, "conjugate gradient");
    LinearOperator a = g.damped(lambda);
    Map<String, String> s = new LinkedHashMap<>();
    s.put("operator", operatorName);
    s.put("damping", damping.describe());
    s.put("damping_value", Double.toString(lambda));
    s.put("solver", "cg");
    s.put("tolerance", Double.toString(tol));
    s.put("max_iterations", Integer.toString(maxIter));
    return new Fixed("cg(" + operatorName + ")", s, x -> solveRows(x, v -> IterativeSolvers.conjugateGradient(a, v, tol, maxIter), s));
  }

  /**
   * P ≈ (G + λI)⁻¹ by LiSSA with scale s (must exceed half the largest eigenvalue of G + λI),
   * iterated until successive iterates differ by ≤ tol relative; the rows in lockstep, as for CG.
   */
  public static Preconditioner lissa(LinearOperator g, String operatorName, Damping damping, double scale, double tol, int maxIter) {
    IterativeSolvers.checkLissa("LiSSA", scale, tol, maxIter);
    double lambda = fixedDamping(damping, "LiSSA");
    LinearOperator a = g.damped(lambda);
    Map<String, String> s = new LinkedHashMap<>();
    s.put("operator", operatorName);
    s.put("damping", damping.describe());
    s.put("damping_value", Double.toString(lambda));
    s.put("solver", "lissa");
    s.put("scale", Double.toString(scale));
    s.put("tolerance", Double.toString(tol));
    s.put("max_iterations", Integer.toString(maxIter));
    return new Fixed("lissa(" + operatorName + ")", s, x -> solveRows(x, v -> IterativeSolvers.lissa(a, v, scale, tol, maxIter), s));
  }

  /** P = (diag(d) + λI)⁻¹. */
  public static Preconditioner diagonal(DiagonalCurvature d, Damping damping) {
    double lambda = damping.resolve(d.meanEigenvalue());
    SpectralFunction inv = SpectralFunction.inverse(lambda);
    Map<String, String> s = new LinkedHashMap<>(d.settings());
    s.put("damping", damping.describe());
    s.put("damping_value", Double.toString(lambda));
    return new Fixed("diagonal", s, x -> d.apply(inv, x));
  }

  /** P = (G + λ_b I)⁻¹ block by block for a K-FAC or EK-FAC curvature; λ_b from block b's mean eigenvalue. */
  public static Preconditioner kronecker(KroneckerCurvature c, Damping damping) {
    Map<String, String> s = new LinkedHashMap<>(c.settings());
    s.put("damping", damping.describe());
    s.put("damping_values", Arrays.toString(c.dampingValues(damping)));
    return spectral(c, c.inverse(damping), c.kind(), s);
  }

  /** P = φ_b(G_b) block by block, for any spectral functions (one per block). */
  public static Preconditioner spectral(KroneckerCurvature c, List<SpectralFunction> phis, String name, Map<String, String> settings) {
    Map<String, String> s = new LinkedHashMap<>(settings);
    s.put("spectral_functions", describe(phis));
    return new Preconditioner() {
      public String name() { return name; }

      public Map<String, String> settings() { return s; }

      public Tensor apply(Tensor g) { return c.apply(phis, g); }

      @Override
      public double[][] pairwise(dev.unroll.tda.AttributionTask task, List<Tensor> params, ScoreOptions o) {
        return EigenbasisScoring.pairwise(c, phis, task, params, o);
      }

      @Override
      public double[] selfInfluence(Gradients.TrainingBatch batch) {
        return c.quadratic(phis, batch.pass(), batch.outputGradients());
      }
    };
  }

  private static String describe(List<SpectralFunction> phis) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < phis.size(); i++) sb.append(i == 0 ? "" : ", ").append(phis.get(i).describe());
    return sb.append(']').toString();
  }

  private static double fixedDamping(Damping d, String who) {
    if (d.needsMeanEigenvalue()) throw new IllegalArgumentException(who + " needs a fixed damping (or the learning-time rule), not " + d.describe() + ": a curvature operator has no cheap mean eigenvalue");
    return d.resolve(Double.NaN);
  }

  /** Solves for every row of {@code x} in one call of the lockstep solver, recording its iterations and residuals. */
  private static Tensor solveRows(Tensor x, java.util.function.Function<double[][], IterativeSolvers.Solution[]> solve, Map<String, String> s) {
    int q = x.dim(0), p = x.dim(1);
    double[] flat = x.to(DType.F64).toDoubleArray();
    double[][] rhs = new double[q][];
    for (int i = 0; i < q; i++) rhs[i] = Arrays.copyOfRange(flat, i * p, (i + 1) * p);
    IterativeSolvers.Solution[] sols = solve.apply(rhs);
    double[] out = new double[q * p];
    int maxIt = 0, stopped = 0;
    double maxRes = 0;
    for (int i = 0; i < q; i++) {
      IterativeSolvers.Solution sol = sols[i];
      System.arraycopy(sol.x(), 0, out, i * p, p);
      maxIt = Math.max(maxIt, sol.iterations());
      maxRes = Math.max(maxRes, sol.relativeResidual());
      if (!sol.converged()) stopped++;
    }
    synchronized (s) {
      s.merge("iterations_max", Integer.toString(maxIt), (a, b) -> Integer.toString(Math.max(Integer.parseInt(a), Integer.parseInt(b))));
      s.merge("relative_residual_max", Double.toString(maxRes), (a, b) -> Double.toString(Math.max(Double.parseDouble(a), Double.parseDouble(b))));
      s.merge(UNCONVERGED, Integer.toString(stopped), (a, b) -> Integer.toString(Integer.parseInt(a) + Integer.parseInt(b)));
      s.merge("solves", Integer.toString(q), (a, b) -> Integer.toString(Integer.parseInt(a) + Integer.parseInt(b)));
    }
    return Tensor.of(out, q, p);
  }

  private record Fixed(String name, Map<String, String> settings, java.util.function.UnaryOperator<Tensor> f) implements Preconditioner {
    public Tensor apply(Tensor g) {
      return f.apply(g);
    }
  }
}
