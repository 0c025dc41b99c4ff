/**
 * Recorded training. A run is described by a {@link dev.unroll.optim.train.RunConfig} (model,
 * loss, dtype, seed, one or more {@link dev.unroll.optim.train.StageSpec stages} with data,
 * optimizer, schedule, batch size, epochs, checkpoints, segments and optional per-example loss
 * weights), trained by {@link dev.unroll.optim.train.Trainer}, and described afterwards by a
 * {@link dev.unroll.optim.train.RunRecord} (batch indices, learning rate and loss of every step,
 * checkpoint steps, segments). Runs are recorded to a self-describing
 * {@link dev.unroll.optim.train.RunDirectory} or kept in memory ({@link dev.unroll.optim.train.Keep});
 * any step's state is recomputed bit for bit by replay ({@link dev.unroll.optim.train.Trajectory},
 * {@link dev.unroll.optim.train.Replayer}), and an interrupted recorded run resumes to the same end.
 */
package dev.unroll.optim.train;
