package dev.unroll.tda.curvature;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * What a Kronecker fit reads from one batch's captured pass: every call's activation rows ā
 * [B·R, in] and, for each output direction (cotangent) k, every call's gradient rows g [B·R, out],
 * in the pass's dtype and on its backend ({@link CapturedPass#activationRows},
 * {@link CapturedPass#gradientRows}). The rows outlive the pass, so that the covariances and the
 * eigenvalue correction can read the same rows without a second forward and backward pass.
 * Rows are filled per call, one call by one thread: calls of different blocks may be filled in
 * parallel.
 */
final class PassRows {
  private final GradientLayout layout;
  private final Backend backend;
  private final int batch;
  private final int[] blockOf, rowsPerExample;
  private final Tensor[] activations;
  private final List<Tensor[]> gradients = new ArrayList<>();

  private PassRows(CapturedPass pass) {
    this.layout = pass.layout();
    this.backend = pass.backend();
    this.batch = pass.batchSize();
    int calls = pass.layers().size();
    this.blockOf = new int[calls];
    this.rowsPerExample = new int[calls];
    for (int c = 0; c < calls; c++) {
      blockOf[c] = pass.blockOf(c);
      rowsPerExample[c] = pass.rowsPerExample(c);
    }
    this.activations = new Tensor[calls];
  }

  /** Rows of {@code pass}, none read yet. */
  static PassRows of(CapturedPass pass) {
    return new PassRows(pass);
  }

  /** Rows of {@code pass} with every call's activation rows and, for each ∂/∂s in {@code directions}, its gradient rows. */
  static PassRows of(CapturedPass pass, List<List<Tensor>> directions) {
    PassRows r = new PassRows(pass);
    for (int c = 0; c < r.calls(); c++) r.readActivations(pass, c);
    for (List<Tensor> ds : directions) {
      int k = r.addDirection();
      for (int c = 0; c < r.calls(); c++) r.readGradients(pass, k, c, ds);
    }
    return r;
  }

  /** Reads call c's activation rows from the pass; returns them. */
  Tensor readActivations(CapturedPass pass, int call) {
    return activations[call] = pass.activationRows(call);
  }

  /** Opens a further output direction, whose gradient rows are then read call by call; returns its index. */
  int addDirection() {
    gradients.add(new Tensor[calls()]);
    return gradients.size() - 1;
  }

  /** Reads call c's gradient rows for direction k from the pass's ∂/∂s {@code ds}; returns them. */
  Tensor readGradients(CapturedPass pass, int direction, int call, List<Tensor> ds) {
    return gradients.get(direction)[call] = pass.gradientRows(call, ds.get(call));
  }

  /** Drops direction k's gradient rows (they have been used and will not be read again). */
  void dropDirection(int direction) {
    gradients.set(direction, null);
  }

  GradientLayout layout() {
    return layout;
  }

  Backend backend() {
    return backend;
  }

  /** B, the examples of the batch. */
  int batchSize() {
    return batch;
  }

  int calls() {
    return activations.length;
  }

  int directions() {
    return gradients.size();
  }

  int blockOf(int call) {
    return blockOf[call];
  }

  int rowsPerExample(int call) {
    return rowsPerExample[call];
  }

  Tensor activations(int call) {
    return activations[call];
  }

  Tensor gradients(int direction, int call) {
    return gradients.get(direction)[call];
  }

  /** {@code x} on the rows' backend: itself when already there (or both on the CPU), else a copy. */
  Tensor onDevice(Tensor x) {
    return CapturedPass.onBackend(backend, x);
  }

  /** Bytes held by the rows read so far. */
  long bytes() {
    long n = 0;
    for (Tensor t : activations) n += bytes(t);
    for (Tensor[] g : gradients) if (g != null) for (Tensor t : g) n += bytes(t);
    return n;
  }

  private static long bytes(Tensor t) {
    return t == null ? 0 : (long) t.numel() * t.dtype().bytes;
  }
}
