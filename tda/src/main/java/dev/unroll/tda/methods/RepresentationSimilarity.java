package dev.unroll.tda.methods;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Margin;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.data.Dataset;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Scores;
import dev.unroll.tda.curvature.Fingerprints;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.grad.Gradients;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Representation similarity (method.md §5): the features h(z) of a layer — the input of a named
 * Linear or Conv2d layer, flattened per example; by default the last layer's input, the
 * penultimate representation of representer-point methods — compared by dot product, cosine or
 * negative Euclidean distance. Similarity has no sign of its own, so it is oriented to the
 * project's convention: a similar training example is taken to help the query, which raises a
 * higher-is-better measurement (the margin) and lowers a lower-is-better one (loss, absolute
 * error); the scores are similarity × orientation with orientation −1 for {@link Margin} and +1
 * otherwise (recorded in the settings).
 */
public final class RepresentationSimilarity {
  private RepresentationSimilarity() {}

  /** How features are compared. */
  public enum Similarity { DOT, COSINE, NEGATIVE_L2 }

  /** +1 for lower-is-better measurements, −1 for the margin. */
  public static double defaultOrientation(Measurement m) {
    return m instanceof Margin ? -1 : 1;
  }

  /**
   * Scores sim(h(z_q), h(z_m)) × orientation for every query and training example.
   *
   * @param layer the dotted name of a Linear or Conv2d layer whose input is the representation, or
   *     null for the last such layer
   */
  public static Scores scores(AttributionTask task, List<Tensor> params, String layer, Similarity sim, ScoreOptions o) {
    Tensor hq = features(task, params, task.queries(), layer, o.queryBatchSize());
    Tensor ht = features(task, params, task.train(), layer, o.trainBatchSize());
    double orientation = defaultOrientation(task.measurement());
    double[][] v;
    try (var s = GradMode.off()) {
      Tensor m = switch (sim) {
        case DOT -> hq.matmul(ht.t());
        case COSINE -> GradientSimilarity.normalizeRows(hq).matmul(GradientSimilarity.normalizeRows(ht).t());
        case NEGATIVE_L2 -> {
          Tensor qq = hq.mul(hq).sum(1).reshape(hq.dim(0), 1), tt = ht.mul(ht).sum(1).reshape(1, ht.dim(0));
          // −‖a − b‖ = −√(‖a‖² + ‖b‖² − 2aᵀb), clamped at 0 against rounding.
          Tensor d2 = qq.add(tt).sub(hq.matmul(ht.t()).mul(2));
          double[] d = d2.toDoubleArray();
          for (int i = 0; i < d.length; i++) d[i] = -Math.sqrt(Math.max(0, d[i]));
          yield Tensor.of(d, d2.shape());
        }
      };
      v = rows(m.mul(orientation));
    }
    return Scores.pairwise("representation/" + sim.name().toLowerCase(), v, settings(task, params, layer, orientation));
  }

  /**
   * sim(h(z_m), h(z_m)) × orientation: ‖h‖², 1 or 0. Self-influence measures each example's own
   * training loss (as every method's self-influence does), whatever the task's query measurement,
   * and the loss is lower-is-better: the orientation is +1 (the diagonal of {@link #scores} on
   * {@link AttributionTask#trainAsQueries()}).
   */
  public static Scores selfInfluence(AttributionTask task, List<Tensor> params, String layer, Similarity sim, ScoreOptions o) {
    Tensor ht = features(task, params, task.train(), layer, o.trainBatchSize());
    double orientation = defaultOrientation(task.trainAsQueries().measurement());
    double[] n2 = ht.mul(ht).sum(1).toDoubleArray();
    double[] v = new double[n2.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = orientation * switch (sim) {
        case DOT -> n2[i];
        case COSINE -> n2[i] > 0 ? 1 : 0;
        case NEGATIVE_L2 -> 0;
      };
    }
    Map<String, String> s = settings(task, params, layer, orientation);
    s.put("measurement", "training loss");
    return Scores.selfInfluence("representation/" + sim.name().toLowerCase(), v, s);
  }

  /** The representation [N, F] (float64) of every example of {@code data}: the named layer's input, flattened. */
  public static Tensor features(AttributionTask task, List<Tensor> params, Dataset data, String layer, int batchSize) {
    GradientLayout.Block target = block(task.layout(), layer);
    List<Tensor> parts = new ArrayList<>();
    for (int[] rows : Gradients.ranges(data.size(), batchSize)) {
      Batch b = data.batch(rows);
      parts.add(CapturedPass.run(task.model(), task.layout(), params, b.x(), pass -> {
        for (int c = 0; c < pass.layers().size(); c++) {
          if (pass.blockOf(c) == target.index()) {
            Tensor in = pass.input(c);
            try (var s = GradMode.off()) {
              return in.reshape(in.dim(0), -1).to(DType.F64).contiguous();
            }
          }
        }
        throw new IllegalArgumentException("layer " + target.name() + " was not called in the forward pass");
      }));
    }
    try (var s = GradMode.off()) {
      return parts.size() == 1 ? parts.get(0) : Ops.concat(0, parts.toArray(new Tensor[0]));
    }
  }

  private static GradientLayout.Block block(GradientLayout l, String layer) {
    if (layer == null) return l.block(l.numBlocks() - 1);
    for (GradientLayout.Block b : l.blocks()) if (b.name().equals(layer)) return b;
    throw new IllegalArgumentException("no Linear or Conv2d layer '" + layer + "'; the model has " + l.names());
  }

  private static double[][] rows(Tensor t) {
    int r = t.dim(0), c = t.dim(1);
    double[] v = t.toDoubleArray();
    double[][] out = new double[r][c];
    for (int i = 0; i < r; i++) System.arraycopy(v, i * c, out[i], 0, c);
    return out;
  }

  private static Map<String, String> settings(AttributionTask task, List<Tensor> params, String layer, double orientation) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("measurement", task.measurement().toString());
    s.put("layer", layer == null ? task.layout().block(task.layout().numBlocks() - 1).name() : layer);
    s.put("feature", "layer input");
    s.put("orientation", Double.toString(orientation));
    s.put("score_parameters_sha256", Fingerprints.parameters(params));
    return s;
  }
}
