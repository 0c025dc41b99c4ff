package dev.unroll.optim.train;

import java.util.Arrays;

/**
 * A group of consecutive checkpoints within one stage: the segment covers the updates of global
 * steps k ∈ [startStep, endStep) and holds the checkpoints θ_c for c in {@code checkpointSteps}
 * (startStep &lt; c ≤ endStep, increasing, the last equal to endStep). Segments of a stage tile its
 * steps without gaps. θ_c denotes the parameters after c steps (before step c).
 */
public record Segment(int stage, int startStep, int endStep, int[] checkpointSteps) {
  public Segment {
    if (startStep < 0 || endStep <= startStep) throw new IllegalArgumentException("segment [" + startStep + ", " + endStep + ") is empty or negative");
    checkpointSteps = checkpointSteps.clone();
    if (checkpointSteps.length == 0 || checkpointSteps[checkpointSteps.length - 1] != endStep || checkpointSteps[0] <= startStep) {
      throw new IllegalArgumentException("segment [" + startStep + ", " + endStep + "): checkpoints " + Arrays.toString(checkpointSteps) + " must lie in (start, end] and end at " + endStep);
    }
  }

  @Override
  public int[] checkpointSteps() {
    return checkpointSteps.clone();
  }

  /** Number of updates in the segment. */
  public int steps() {
    return endStep - startStep;
  }

  /** Σ_{k ∈ [start, end)} η_k, the segment's summed learning rate (before any momentum scaling). */
  public double lrSum(RunRecord record) {
    double s = 0;
    for (int k = startStep; k < endStep; k++) s += record.lr(k);
    return s;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Segment s && stage == s.stage && startStep == s.startStep && endStep == s.endStep && Arrays.equals(checkpointSteps, s.checkpointSteps);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * (31 * stage + startStep) + endStep) + Arrays.hashCode(checkpointSteps);
  }

  @Override
  public String toString() {
    return "Segment(stage " + stage + ", steps [" + startStep + ", " + endStep + "), checkpoints " + Arrays.toString(checkpointSteps) + ")";
  }
}
