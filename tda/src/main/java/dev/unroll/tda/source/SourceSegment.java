package dev.unroll.tda.source;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * One SOURCE segment (method.md §4): the updates of global steps [startStep, endStep) of one stage,
 * assumed to see a stationary curvature H̄ and stationary training gradients ḡ(z), both averaged over
 * {@code checkpoints}. Its learning time is c = lrScale · Σ_{k ∈ [start, end)} η_k.
 *
 * @param stage index of the stage in {@link SourceInputs#stages()}
 * @param startStep first update of the segment
 * @param endStep one past the last update
 * @param lrSum Σ η_k over the segment's updates (as scheduled, before momentum scaling)
 * @param lrScale 1/(1 − β) for heavy-ball momentum β, else 1 ({@link StageDynamics#lrScale()})
 * @param checkpoints the states averaged over (usually the recorded checkpoints in (start, end])
 */
public record SourceSegment(int stage, int startStep, int endStep, double lrSum, double lrScale, List<SourceCheckpoint> checkpoints) {
  public SourceSegment {
    if (startStep < 0 || endStep <= startStep) throw new IllegalArgumentException("segment [" + startStep + ", " + endStep + ") has no updates");
    if (!(lrSum >= 0) || Double.isInfinite(lrSum)) throw new IllegalArgumentException("segment [" + startStep + ", " + endStep + "): summed learning rate " + lrSum + " is not finite and ≥ 0");
    if (!(lrScale > 0) || Double.isInfinite(lrScale)) throw new IllegalArgumentException("segment [" + startStep + ", " + endStep + "): learning-rate scale " + lrScale + " must be positive");
    if (checkpoints == null || checkpoints.isEmpty()) throw new IllegalArgumentException("segment [" + startStep + ", " + endStep + ") has no checkpoints");
    checkpoints = List.copyOf(checkpoints);
    boolean pre = checkpoints.get(0).preconditioner() != null;
    for (SourceCheckpoint c : checkpoints) {
      if ((c.preconditioner() != null) != pre) throw new IllegalArgumentException("segment [" + startStep + ", " + endStep + "): some checkpoints have a preconditioner and some do not");
    }
  }

  /** c = lrScale · Σ η_k, the segment's learning time. */
  public double c() {
    return lrScale * lrSum;
  }

  /** K, the number of updates. */
  public int steps() {
    return endStep - startStep;
  }

  /** c / K: the constant step η of the power forms (I − ηH)^K. */
  public double meanStep() {
    return c() / steps();
  }

  /** Number of checkpoints. */
  public int numCheckpoints() {
    return checkpoints.size();
  }

  /**
   * Fast-Source's segment: a single checkpoint holding the mean of the checkpoints' parameters
   * (and of their preconditioners), step −1.
   */
  public SourceSegment averaged() {
    if (checkpoints.size() == 1) return this;
    List<Tensor> params = mean(checkpoints.stream().map(SourceCheckpoint::parameters).toList());
    List<Tensor> pre = checkpoints.get(0).preconditioner() == null ? null : mean(checkpoints.stream().map(SourceCheckpoint::preconditioner).toList());
    return new SourceSegment(stage, startStep, endStep, lrSum, lrScale, List.of(new SourceCheckpoint(-1, params, pre, Double.NaN)));
  }

  /** The entrywise mean of several lists of tensors (same shapes), computed in float64, returned in the first list's dtypes. */
  static List<Tensor> mean(List<List<Tensor>> lists) {
    List<Tensor> first = lists.get(0);
    List<Tensor> out = new ArrayList<>(first.size());
    try (var g = GradMode.off()) {
      for (int i = 0; i < first.size(); i++) {
        Tensor s = null;
        for (List<Tensor> l : lists) {
          Tensor t = l.get(i).detach().to(DType.F64);
          s = s == null ? t : s.add(t);
        }
        out.add(s.div(lists.size()).to(first.get(i).dtype()).contiguous());
      }
    }
    return out;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("segment(stage ").append(stage).append(", steps [").append(startStep).append(", ").append(endStep).append("), c=").append(c()).append(", checkpoints [");
    for (int i = 0; i < checkpoints.size(); i++) sb.append(i == 0 ? "" : ", ").append(checkpoints.get(i).step());
    return sb.append("])").toString();
  }
}
