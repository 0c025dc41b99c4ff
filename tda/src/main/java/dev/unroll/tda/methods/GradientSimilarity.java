package dev.unroll.tda.methods;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.Fingerprints;
import dev.unroll.tda.grad.GradientDots;
import dev.unroll.tda.grad.Gradients;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Gradient similarity baselines at one set of parameters (method.md §5): the dot product
 * τ = ⟨∇f(z_q), ∇L(z_m)⟩ (an influence function with P = I; one SGD step of size η on z_m
 * changes f by ≈ −(η/B)·τ, so removing it changes f by +(η/B)·τ, whence the sign) and the cosine
 * ⟨∇f, ∇L⟩/(‖∇f‖·‖∇L‖). Neither has units of a predicted effect ({@link Scores#EFFECT_SCALE} absent).
 */
public final class GradientSimilarity {
  private GradientSimilarity() {}

  public static Scores dot(AttributionTask task, List<Tensor> params, ScoreOptions o) {
    double[][] values = new double[task.numQueries()][];
    InfluenceFunctions.forQueryChunks(task, params, o, (start, g) -> {
      double[][] part = GradientDots.pairwise(task, params, g, o.trainBatchSize());
      System.arraycopy(part, 0, values, start, part.length);
    });
    return Scores.pairwise("gradient-dot", values, settings(task, params, o));
  }

  /**
   * ⟨∇f, ∇L⟩/(‖∇f‖·‖∇L‖): the unit query gradients dotted with the streamed training gradients
   * (rank-one blocks by one GEMM, {@link GradientDots}), divided by the training gradients' norms
   * (‖g‖·‖ā‖ per rank-one block); zero gradients score 0.
   */
  public static Scores cosine(AttributionTask task, List<Tensor> params, ScoreOptions o) {
    double[][] values = new double[task.numQueries()][];
    InfluenceFunctions.forQueryChunks(task, params, o, (start, g) -> {
      double[][] part = GradientDots.pairwiseOverNorms(task, params, normalizeRows(g), o.trainBatchSize());
      System.arraycopy(part, 0, values, start, part.length);
    });
    return Scores.pairwise("gradient-cosine", values, settings(task, params, o));
  }

  /** ‖∇L(z_m)‖², the dot product's self-influence (rank-one blocks as ‖g‖²·‖ā‖², no per-example gradients). */
  public static Scores selfDot(AttributionTask task, List<Tensor> params, ScoreOptions o) {
    double[] v = new double[task.numTrain()];
    Gradients.forEachTrainingBatch(task, params, o.trainBatchSize(), b -> System.arraycopy(b.squaredNorms(), 0, v, b.start(), b.size()));
    return Scores.selfInfluence("gradient-dot", v, settings(task, params, o));
  }

  /** The cosine's self-influence: 1 for every example with a non-zero gradient (0 otherwise). */
  public static Scores selfCosine(AttributionTask task, List<Tensor> params, ScoreOptions o) {
    double[] v = selfDot(task, params, o).selfValues();
    for (int i = 0; i < v.length; i++) v[i] = v[i] > 0 ? 1 : 0;
    return Scores.selfInfluence("gradient-cosine", v, settings(task, params, o));
  }

  /** Rows scaled to unit Euclidean norm (zero rows stay zero), float64. */
  static Tensor normalizeRows(Tensor g) {
    try (var s = GradMode.off()) {
      Tensor d = g.to(DType.F64);
      double[] n = d.mul(d).sum(1).toDoubleArray();
      for (int i = 0; i < n.length; i++) n[i] = n[i] > 0 ? 1 / Math.sqrt(n[i]) : 0;
      return d.mul(Tensor.of(n, n.length, 1));
    }
  }

  static Map<String, String> settings(AttributionTask task, List<Tensor> params, ScoreOptions o) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("measurement", task.measurement().toString());
    s.put("loss", task.loss().toString());
    s.put("n_train", Integer.toString(task.numTrain()));
    s.put("score_parameters_sha256", Fingerprints.parameters(params));
    s.put("train_batch_size", Integer.toString(o.trainBatchSize()));
    return s;
  }
}
