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

  public static Scores cosine(AttributionTask task, List<Tensor> params, ScoreOptions o) {
    double[][] values = new double[task.numQueries()][task.numTrain()];
    InfluenceFunctions.forQueryChunks(task, params, o, (start, g) -> {
      Tensor q = normalizeRows(g).to(params.get(0).dtype());
      Gradients.forEachTrainingBatch(task, params, o.trainBatchSize(), b -> {
        double[][] d = GradientDots.dots(q, normalizeRows(b.gradients()).to(q.dtype()));
        for (int i = 0; i < d.length; i++) System.arraycopy(d[i], 0, values[start + i], b.start(), d[i].length);
      });
    });
    return Scores.pairwise("gradient-cosine", values, settings(task, params, o));
  }

  /** ‖∇L(z_m)‖², the dot product's self-influence. */
  public static Scores selfDot(AttributionTask task, List<Tensor> params, ScoreOptions o) {
    double[] v = new double[task.numTrain()];
    Gradients.forEachTrainingBatch(task, params, o.trainBatchSize(), b -> {
      Tensor g = b.gradients().to(DType.F64);
      System.arraycopy(GradientDots.rowDots(g, g), 0, v, b.start(), b.size());
    });
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
