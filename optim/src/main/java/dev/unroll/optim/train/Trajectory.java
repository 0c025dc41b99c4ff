package dev.unroll.optim.train;

import dev.unroll.nn.Module;
import dev.unroll.nn.data.Dataset;
import java.util.List;

/**
 * Random access to the states θ_0 … θ_T of a recorded run (with optimizer states), for the
 * methods that differentiate or average over the training trajectory. States that are not stored
 * are recomputed by replaying the recorded steps from the nearest earlier stored state, which
 * reproduces them bit for bit. An instance is not thread-safe: give each thread its own
 * {@link #fork()}.
 */
public interface Trajectory {
  RunRecord record();

  default RunConfig config() {
    return record().config();
  }

  /** θ_step and the optimizer state after {@code step} steps, 0 ≤ step ≤ T (see {@link Snapshot}). */
  Snapshot at(int step);

  /** The data of each stage as trained on (subset applied, converted to the run's dtype). */
  List<Dataset> stageData();

  /** A fresh model of the run's architecture (parameters to be set by the caller). */
  Module newModel();

  /** An independent accessor over the same run, for use in another thread. */
  Trajectory fork();
}
