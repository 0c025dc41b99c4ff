package dev.unroll.tda.methods;

import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.CurvatureOperators;
import dev.unroll.tda.curvature.DenseCurvature;
import dev.unroll.tda.curvature.DiagonalCurvature;
import dev.unroll.tda.curvature.Ekfac;
import dev.unroll.tda.curvature.FisherType;
import dev.unroll.tda.curvature.Fingerprints;
import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.curvature.LinearOperator;
import dev.unroll.tda.grad.GradientDots;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.grad.Gradients;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Influence functions (method.md §3): τ(z_q, z_m) = ∇f(z_q, θ)ᵀ P ∇L(z_m, θ) with P an
 * approximation of (G + λI)⁻¹, G the curvature of the mean training loss (1/N)·Σₙ Lₙ. Removing z_m
 * moves the minimiser by ≈ (1/N)(G + λI)⁻¹∇L(z_m), so the predicted change of f is τ/N: positive τ
 * means removing z_m increases f. Values are stored without the 1/N, which is recorded as
 * {@link Scores#EFFECT_SCALE}.
 *
 * <p>{@link #pairwise} works with any {@link Preconditioner}; the named entry points fit the
 * curvature and choose the preconditioner in one call.
 */
public final class InfluenceFunctions {
  private InfluenceFunctions() {}

  /** τ for every query and training example: queries' gradients preconditioned once, training gradients streamed. */
  public static Scores pairwise(AttributionTask task, List<Tensor> params, Preconditioner p, ScoreOptions o) {
    double[][] values = new double[task.numQueries()][];
    int q = task.numQueries();
    for (int[] rows : Gradients.ranges(q, o.queryChunk() == 0 ? Math.max(1, q) : o.queryChunk())) {
      double[][] part = p.pairwise(task.withQueries(task.queries().subset(rows)), params, o);
      System.arraycopy(part, 0, values, rows[0], part.length);
    }
    return Scores.pairwise("influence/" + p.name(), values, settings(task, params, p, o));
  }

  /**
   * Per-layer τ: the contribution of each block's coordinates to ⟨P∇f, ∇L⟩, one Scores per block
   * (method {@code influence/NAME/layer=LAYER}); they sum to {@link #pairwise}.
   */
  public static List<Scores> perLayer(AttributionTask task, List<Tensor> params, Preconditioner p, ScoreOptions o) {
    GradientLayout layout = task.layout();
    double[][][] values = new double[layout.numBlocks()][task.numQueries()][];
    forQueryChunks(task, params, o, (start, g) -> {
      double[][][] part = GradientDots.pairwisePerBlock(task, params, p.apply(g), o.trainBatchSize());
      for (int b = 0; b < part.length; b++) System.arraycopy(part[b], 0, values[b], start, part[b].length);
    });
    List<Scores> out = new ArrayList<>();
    for (int b = 0; b < layout.numBlocks(); b++) {
      Map<String, String> s = settings(task, params, p, o);
      s.put("layer", layout.block(b).name());
      out.add(Scores.pairwise("influence/" + p.name() + "/layer=" + layout.block(b).name(), values[b], s));
    }
    return out;
  }

  /** Self-influence τ(z_m, z_m) = ∇L(z_m)ᵀ P ∇L(z_m) of every training example. */
  public static Scores selfInfluence(AttributionTask task, List<Tensor> params, Preconditioner p, ScoreOptions o) {
    double[] v = new double[task.numTrain()];
    Gradients.forEachTrainingBatch(task, params, o.trainBatchSize(), b -> {
      double[] part = p.selfInfluence(b);
      System.arraycopy(part, 0, v, b.start(), part.length);
    });
    Map<String, String> s = settings(task, params, p, o);
    s.put("measurement", "training loss");
    return Scores.selfInfluence("influence/" + p.name(), v, s);
  }

  // ------------------------------------------------------------------ named variants

  /** EK-FAC influence (fit + score). */
  public static Scores ekfac(AttributionTask task, List<Tensor> params, FitOptions fit, Damping damping, ScoreOptions o) {
    return pairwise(task, params, Preconditioners.kronecker(Ekfac.ekfac(task, params, fit), damping), o);
  }

  /** K-FAC influence (fit + score). */
  public static Scores kfac(AttributionTask task, List<Tensor> params, FitOptions fit, Damping damping, ScoreOptions o) {
    return pairwise(task, params, Preconditioners.kronecker(Ekfac.kfac(task, params, fit), damping), o);
  }

  /** Explicit inverse of the exact Hessian of the mean training loss (small models). */
  public static Scores explicitHessian(AttributionTask task, List<Tensor> params, FitOptions fit, Damping damping, ScoreOptions o) {
    return pairwise(task, params, Preconditioners.explicit(DenseCurvature.hessian(task, params, fit), damping), o);
  }

  /** Explicit inverse of a dense Fisher-type matrix: Gauss-Newton for {@link FisherType#EXPECTED} (small models). */
  public static Scores explicitFisher(AttributionTask task, List<Tensor> params, FitOptions fit, Damping damping, ScoreOptions o) {
    return pairwise(task, params, Preconditioners.explicit(DenseCurvature.fisher(task, params, fit), damping), o);
  }

  /** Diagonal influence (the empirical Fisher diagonal for {@link FisherType#EMPIRICAL}). */
  public static Scores diagonal(AttributionTask task, List<Tensor> params, FitOptions fit, Damping damping, ScoreOptions o) {
    return pairwise(task, params, Preconditioners.diagonal(DiagonalCurvature.fit(task, params, fit), damping), o);
  }

  /** Which curvature-vector product the iterative solvers use. */
  public enum Operator {
    HESSIAN, GAUSS_NEWTON;

    /** The name the scores' settings and method names carry: "hessian" or "gauss-newton". */
    public String label() {
      return this == HESSIAN ? "hessian" : "gauss-newton";
    }
  }

  /** The curvature-vector product of {@code which} at {@code params}. */
  public static LinearOperator operator(Operator which, AttributionTask task, List<Tensor> params, FitOptions fit) {
    return which == Operator.HESSIAN ? CurvatureOperators.hessian(task, params, fit) : CurvatureOperators.gaussNewton(task, params, fit);
  }

  /** Conjugate-gradient influence on Hessian- or Gauss-Newton-vector products. */
  public static Scores conjugateGradient(AttributionTask task, List<Tensor> params, Operator which, FitOptions fit, Damping damping, double tol, int maxIter, ScoreOptions o) {
    return pairwise(task, params, Preconditioners.conjugateGradient(operator(which, task, params, fit), which.label(), damping, tol, maxIter), o);
  }

  /** LiSSA influence on Hessian- or Gauss-Newton-vector products. */
  public static Scores lissa(AttributionTask task, List<Tensor> params, Operator which, FitOptions fit, Damping damping, double scale, double tol, int maxIter, ScoreOptions o) {
    return pairwise(task, params, Preconditioners.lissa(operator(which, task, params, fit), which.label(), damping, scale, tol, maxIter), o);
  }

  // ------------------------------------------------------------------ shared

  interface ChunkBody {
    void accept(int start, Tensor queryGradients);
  }

  /** Query gradients [Qc, P] chunk by chunk ({@link ScoreOptions#queryChunk}). */
  static void forQueryChunks(AttributionTask task, List<Tensor> params, ScoreOptions o, ChunkBody body) {
    int q = task.numQueries();
    int chunk = o.queryChunk() == 0 ? Math.max(1, q) : o.queryChunk();
    for (int[] rows : Gradients.ranges(q, chunk)) {
      AttributionTask sub = task.withQueries(task.queries().subset(rows));
      Tensor g = Gradients.queries(sub, params, o.queryBatchSize());
      body.accept(rows[0], g);
    }
  }

  /** The settings every score records: preconditioner settings, sizes, fingerprints and 1/N. */
  static Map<String, String> settings(AttributionTask task, List<Tensor> params, Preconditioner p, ScoreOptions o) {
    Map<String, String> s = new LinkedHashMap<>(p.settings());
    s.put("measurement", task.measurement().toString());
    s.put("loss", task.loss().toString());
    s.put("n_train", Integer.toString(task.numTrain()));
    s.put(Scores.EFFECT_SCALE, Double.toString(1.0 / task.numTrain()));
    s.put("score_parameters_sha256", Fingerprints.parameters(params));
    s.put("train_batch_size", Integer.toString(o.trainBatchSize()));
    return s;
  }
}
