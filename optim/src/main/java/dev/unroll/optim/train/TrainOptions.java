package dev.unroll.optim.train;

import java.nio.file.Path;

/**
 * How to run a configuration (what is not part of the run's identity).
 *
 * @param directory where to record the run (config.json, manifest.json, steps and checkpoints);
 *     null: nothing is written
 * @param keep what to keep in memory
 * @param resume continue a partially recorded run in {@code directory} from its last checkpoint
 *     (a finished run is loaded as it is); false: the directory must not hold a run yet
 * @param stopAfterSteps stop once this many global steps have been taken (a deliberate
 *     interruption; ≤ 0: run to the end)
 * @param hook called after every step (null: none)
 * @param evaluation measured on the final model (null: none)
 */
public record TrainOptions(Path directory, Keep keep, boolean resume, int stopAfterSteps, StepHook hook, Evaluation evaluation) {
  public TrainOptions {
    if (keep == null) throw new IllegalArgumentException("keep must be given");
  }

  /** Nothing written, only the final model kept. */
  public static TrainOptions inMemory() {
    return new TrainOptions(null, Keep.FINAL, false, 0, null, null);
  }

  /** Recorded in {@code dir}, checkpoints also kept in memory. */
  public static TrainOptions recorded(Path dir) {
    return new TrainOptions(dir, Keep.CHECKPOINTS, false, 0, null, null);
  }

  public TrainOptions keep(Keep k) {
    return new TrainOptions(directory, k, resume, stopAfterSteps, hook, evaluation);
  }

  public TrainOptions resume(boolean r) {
    return new TrainOptions(directory, keep, r, stopAfterSteps, hook, evaluation);
  }

  public TrainOptions stopAfter(int steps) {
    return new TrainOptions(directory, keep, resume, steps, hook, evaluation);
  }

  public TrainOptions hook(StepHook h) {
    return new TrainOptions(directory, keep, resume, stopAfterSteps, h, evaluation);
  }

  public TrainOptions evaluation(Evaluation e) {
    return new TrainOptions(directory, keep, resume, stopAfterSteps, hook, e);
  }

  public TrainOptions directory(Path dir) {
    return new TrainOptions(dir, keep, resume, stopAfterSteps, hook, evaluation);
  }
}
