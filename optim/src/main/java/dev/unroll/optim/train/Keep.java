package dev.unroll.optim.train;

/** What a run keeps in memory besides its final parameters. */
public enum Keep {
  /** Only the final model (the fast mode for many counterfactual retrains). */
  FINAL,
  /** The snapshots at the record's checkpoint steps (step 0, every stage's checkpoints, T). */
  CHECKPOINTS,
  /** A snapshot after every step, θ_0 ... θ_T with optimizer states (small models only). */
  ALL_STEPS
}
