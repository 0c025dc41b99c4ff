/**
 * Data sets for the experiments: {@link dev.unroll.nn.data.Dataset} (immutable, with cheap subset
 * views that remember their indices), seeded mini-batch schedules ({@link dev.unroll.nn.data.Batches}),
 * standardisation, loaders for CSV, IDX (MNIST, Fashion-MNIST), scikit-learn's files and the 8×8
 * digits, the registry of named sets ({@link dev.unroll.nn.data.DataSets}) and derived sets
 * (seeded splits and samples, rotated images, randomised labels). Loading errors name file and line
 * ({@link dev.unroll.nn.data.DataLoadException}).
 */
package dev.unroll.nn.data;
