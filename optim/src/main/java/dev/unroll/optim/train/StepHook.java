package dev.unroll.optim.train;

import dev.unroll.nn.Module;

/**
 * Called after every step of a run, once the step's update is applied and, when step + 1 is a
 * checkpoint, the checkpoint is stored. An exception thrown here stops the run as a crash would:
 * what was stored so far stays, and a recorded run can be resumed from its last checkpoint.
 */
@FunctionalInterface
public interface StepHook {
  /**
   * @param step the global step just taken (0-based)
   * @param loss its training objective (before the update)
   * @param model the model, holding θ_{step+1}; do not modify it
   */
  void afterStep(int step, double loss, Module model);
}
