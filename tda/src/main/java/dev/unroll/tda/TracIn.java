package dev.unroll.tda;

import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.curvature.Fingerprints;
import dev.unroll.tda.grad.GradientDots;
import dev.unroll.tda.grad.Gradients;
import dev.unroll.tda.methods.ScoreOptions;
import dev.unroll.tda.source.SourceCheckpoint;
import dev.unroll.tda.source.SourceInputs;
import dev.unroll.tda.source.SourceSegment;
import dev.unroll.tda.source.SourceStage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TracIn-CP (Pruthi et al. 2020; method.md §5) over the checkpoints SOURCE uses:
 * τ(z_q, z_m) = Σ_c η_c ⟨∇f(z_q, θ_c), ∇L(z_m, θ_c)⟩, the first-order (no curvature) sum over
 * training of how much the updates on z_m changed f(z_q). Sign convention as everywhere
 * (method.md §1): a step on z_m changes f by −η⟨∇f, ∇L⟩/B, so removing z_m changes it by +τ-like
 * terms; positive τ means removing z_m increases f.
 *
 * <p>In a multi-stage run a checkpoint of stage s scores only the examples stage s trains on.
 */
public final class TracIn {
  private TracIn() {}

  /** The checkpoint weights η_c. */
  public enum Weighting {
    /**
     * η_c = the learning rate of the update that produced θ_c (TracIn-CP as published). Values are
     * a ranking score with no effect units (no {@link Scores#EFFECT_SCALE}).
     */
    STEP_LR,
    /**
     * η_c = c_ℓ / C_ℓ (the checkpoint's share of its segment's learning time, momentum-scaled like
     * SOURCE's c) times N/N_s: then τ/N estimates, to first order without curvature, the change of f
     * when z_m is removed ({@link Scores#EFFECT_SCALE} = 1/N). It is SOURCE with H̄ = 0 and query
     * gradients taken at each checkpoint instead of θ_T.
     */
    LEARNING_TIME
  }

  /** τ for every query of {@code in}'s task and every scored training example. */
  public static Scores pairwise(SourceInputs in, Weighting weighting, ScoreOptions o) {
    AttributionTask t = in.task();
    int q = t.numQueries(), n = t.numTrain();
    double[][] values = new double[q][n];
    int chunk = o.queryChunk() == 0 ? Math.max(1, q) : o.queryChunk();
    for (int[] rows : Gradients.ranges(q, chunk)) {
      AttributionTask sub = t.withQueries(t.queries().subset(rows));
      double[][] part = new double[rows.length][n];
      for (SourceSegment seg : in.segments()) {
        SourceStage st = in.stages().get(seg.stage());
        for (SourceCheckpoint c : seg.checkpoints()) {
          double w = weight(in, seg, c, weighting);
          if (w == 0) continue;
          Tensor g = Gradients.queries(sub, c.parameters(), o.queryBatchSize());
          GradientDots.accumulate(in.stageTask(seg.stage()), c.parameters(), g, o.trainBatchSize(), w, part, st.columns());
        }
      }
      System.arraycopy(part, 0, values, rows[0], rows.length);
    }
    return Scores.pairwise("tracin", values, settings(in, weighting, t));
  }

  /**
   * Self-influence Σ_c η_c ‖∇L(z_m, θ_c)‖² of every scored training example (rank-one blocks as
   * ‖g‖²·‖ā‖², {@link dev.unroll.tda.grad.CapturedPass#squaredNorms}).
   */
  public static Scores selfInfluence(SourceInputs in, Weighting weighting, ScoreOptions o) {
    AttributionTask t = in.task();
    double[] out = new double[t.numTrain()];
    for (SourceSegment seg : in.segments()) {
      SourceStage st = in.stages().get(seg.stage());
      for (SourceCheckpoint c : seg.checkpoints()) {
        double w = weight(in, seg, c, weighting);
        if (w == 0) continue;
        Gradients.forEachTrainingBatch(in.stageTask(seg.stage()), c.parameters(), o.trainBatchSize(), b -> {
          double[] d = b.squaredNorms();
          for (int i = 0; i < d.length; i++) out[st.column(b.start() + i)] += w * d[i];
        });
      }
    }
    Map<String, String> s = settings(in, weighting, t.trainAsQueries());
    s.put("measurement", "training loss");
    return Scores.selfInfluence("tracin", out, s);
  }

  /** η_c of checkpoint c of segment seg under the weighting. */
  public static double weight(SourceInputs in, SourceSegment seg, SourceCheckpoint c, Weighting weighting) {
    return switch (weighting) {
      case STEP_LR -> {
        if (Double.isNaN(c.stepLr())) throw new IllegalArgumentException("checkpoint " + c.step() + " has no step learning rate (averaged parameters?); use Weighting.LEARNING_TIME");
        yield c.stepLr();
      }
      case LEARNING_TIME -> seg.c() / seg.numCheckpoints() * in.stageWeight(seg.stage());
    };
  }

  private static Map<String, String> settings(SourceInputs in, Weighting weighting, AttributionTask t) {
    Map<String, String> s = new LinkedHashMap<>();
    s.put("weighting", weighting.name().toLowerCase());
    s.putAll(in.describe());
    List<Double> w = new ArrayList<>();
    for (SourceSegment seg : in.segments()) for (SourceCheckpoint c : seg.checkpoints()) w.add(weight(in, seg, c, weighting));
    s.put("checkpoint_weights", w.toString());
    s.put("measurement", t.measurement().toString());
    s.put("loss", t.loss().toString());
    s.put("n_train", Integer.toString(t.numTrain()));
    if (weighting == Weighting.LEARNING_TIME) s.put(Scores.EFFECT_SCALE, Double.toString(1.0 / t.numTrain()));
    s.put("final_parameters_sha256", Fingerprints.parameters(in.finalParameters()));
    return s;
  }
}
