package dev.unroll.optim.train;

import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import java.util.Arrays;
import java.util.Objects;

/**
 * One stage of a run: train on {@code data} for {@code epochs} epochs of shuffled mini-batches of
 * {@code batchSize} with a fresh optimizer of {@code optimizer} and the learning rates of
 * {@code schedule} (its step index counts from the start of the stage, over the stage's steps).
 *
 * <p>Recording: {@code checkpoints} parameter snapshots C evenly spaced over the stage's K steps,
 * at stage-relative steps ⌊j·K/C⌋ for j = 1..C (the last is the stage's final parameters), or at the
 * explicit stage-relative steps {@code checkpointSteps} (in [1, K]; K is added when missing).
 * They are split into {@code segments} groups of consecutive checkpoints (as equal as possible,
 * earlier groups one larger) for segment-wise methods; C and the segment count are capped at K and C.
 *
 * <p>{@code weights}: optional per-example loss weights w (one per example of the stage's data),
 * so that the objective of a step with batch I is (1/B)·Σ_{i∈I} wᵢ·L(zᵢ, θ) with B = |I| (weight
 * 1 for all is plain training; null means all 1).
 *
 * @param dropLast leave out each epoch's final short batch
 */
public record StageSpec(String name, DataSpec data, OptimizerSpec optimizer, LrSchedule schedule, int batchSize, int epochs,
    boolean dropLast, int checkpoints, int segments, int[] checkpointSteps, double[] weights) {
  public StageSpec {
    Objects.requireNonNull(name, "stage name");
    Objects.requireNonNull(data, "stage '" + name + "': data");
    Objects.requireNonNull(optimizer, "stage '" + name + "': optimizer");
    Objects.requireNonNull(schedule, "stage '" + name + "': schedule");
    if (batchSize <= 0) throw new IllegalArgumentException("stage '" + name + "': batch size must be positive, got " + batchSize);
    if (epochs <= 0) throw new IllegalArgumentException("stage '" + name + "': epochs must be positive, got " + epochs);
    if (checkpoints <= 0 && checkpointSteps == null) throw new IllegalArgumentException("stage '" + name + "': needs at least one checkpoint, got " + checkpoints);
    if (segments <= 0) throw new IllegalArgumentException("stage '" + name + "': needs at least one segment, got " + segments);
    if (checkpointSteps != null) {
      checkpointSteps = checkpointSteps.clone();
      for (int i = 0; i < checkpointSteps.length; i++) {
        if (checkpointSteps[i] < 1 || (i > 0 && checkpointSteps[i] <= checkpointSteps[i - 1])) {
          throw new IllegalArgumentException("stage '" + name + "': checkpoint steps must be increasing and ≥ 1, got " + Arrays.toString(checkpointSteps));
        }
      }
    }
    if (weights != null) {
      weights = weights.clone();
      for (int i = 0; i < weights.length; i++) {
        if (!Double.isFinite(weights[i])) throw new IllegalArgumentException("stage '" + name + "': weight " + weights[i] + " of example " + i + " is not finite");
      }
    }
  }

  /** A stage with 6 evenly spaced checkpoints in 3 segments (the SOURCE defaults), no weights, keeping short batches. */
  public static StageSpec of(String name, DataSpec data, OptimizerSpec optimizer, LrSchedule schedule, int batchSize, int epochs) {
    return new StageSpec(name, data, optimizer, schedule, batchSize, epochs, false, 6, 3, null, null);
  }

  @Override
  public int[] checkpointSteps() {
    return checkpointSteps == null ? null : checkpointSteps.clone();
  }

  @Override
  public double[] weights() {
    return weights == null ? null : weights.clone();
  }

  public StageSpec withData(DataSpec d) {
    return new StageSpec(name, d, optimizer, schedule, batchSize, epochs, dropLast, checkpoints, segments, checkpointSteps, weights);
  }

  public StageSpec withWeights(double[] w) {
    return new StageSpec(name, data, optimizer, schedule, batchSize, epochs, dropLast, checkpoints, segments, checkpointSteps, w);
  }

  /** C evenly spaced checkpoints in L segments. */
  public StageSpec withCheckpoints(int c, int l) {
    return new StageSpec(name, data, optimizer, schedule, batchSize, epochs, dropLast, c, l, null, weights);
  }

  /** Checkpoints at these stage-relative steps, in L segments. */
  public StageSpec withCheckpointSteps(int[] steps, int l) {
    return new StageSpec(name, data, optimizer, schedule, batchSize, epochs, dropLast, steps.length, l, steps, weights);
  }

  public StageSpec withDropLast(boolean d) {
    return new StageSpec(name, data, optimizer, schedule, batchSize, epochs, d, checkpoints, segments, checkpointSteps, weights);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof StageSpec s && name.equals(s.name) && data.equals(s.data) && optimizer.equals(s.optimizer) && schedule.equals(s.schedule)
        && batchSize == s.batchSize && epochs == s.epochs && dropLast == s.dropLast && checkpoints == s.checkpoints && segments == s.segments
        && Arrays.equals(checkpointSteps, s.checkpointSteps) && Arrays.equals(weights, s.weights);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, data, optimizer, schedule, batchSize, epochs, dropLast, checkpoints, segments, Arrays.hashCode(checkpointSteps), Arrays.hashCode(weights));
  }
}
