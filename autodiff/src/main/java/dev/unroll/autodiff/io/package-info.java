/**
 * Tensor files: safetensors (checkpoints, recorded runs), .npy (score matrices for Python tools),
 * and atomic file replacement. Readers validate everything they read and name the file and the
 * problem on failure ({@link dev.unroll.autodiff.io.CorruptFileException}).
 */
package dev.unroll.autodiff.io;
