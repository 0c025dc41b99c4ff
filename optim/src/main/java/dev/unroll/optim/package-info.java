/**
 * Unroll module `optim`: optimizers ({@link dev.unroll.optim.Sgd}, {@link dev.unroll.optim.Adam},
 * {@link dev.unroll.optim.AdamW}) with an in-place step for training and a bit-identical,
 * differentiable functional form of the same state transition for exact unrolling; their
 * serialisable descriptions ({@link dev.unroll.optim.OptimizerSpec}) and learning-rate schedules
 * ({@link dev.unroll.optim.LrSchedule}).
 */
package dev.unroll.optim;
