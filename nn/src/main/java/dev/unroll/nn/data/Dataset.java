package dev.unroll.nn.data;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Targets;
import java.util.Arrays;

/**
 * An immutable, named data set: inputs x of shape [N, ...] (float32 or float64, on the CPU) and
 * targets y with one row per example.
 *
 * <p>{@link #subset} is a view: it stores only index maps, never copies inputs, and remembers
 * which examples of its parent (and of the root data set, the one loaded from disk) it holds, so
 * attributions computed on a subset map back to training-set indices. Inputs are copied only
 * when rows are gathered ({@link #batch}, {@link #x()}) or transformed ({@link #to},
 * {@link #withInputs}).
 */
public final class Dataset {
  private final String name;
  /** Contiguous CPU tensor [M, ...] that owns its storage; example i is row xRows[i] (or i). */
  private final Tensor xStore;
  private final int[] xRows;
  private final Targets yStore;
  private final int[] yRows;
  /** Example i is example parentIndices[i] of the parent (null: this set has no parent). */
  private final int[] parentIndices;
  /** Example i is example rootIndices[i] of the root set (null: this is the root, the identity map). */
  private final int[] rootIndices;
  private final int size;

  /**
   * A root data set over {@code x} [N, ...] and {@code y} (N rows). The values of {@code x} are
   * used as they are (copied once only when x is a view or on another device).
   */
  public Dataset(String name, Tensor x, Targets y) {
    this(name, owning(x), null, y, null, null, null, checkSizes(name, x, y));
  }

  private Dataset(String name, Tensor xStore, int[] xRows, Targets yStore, int[] yRows, int[] parentIndices, int[] rootIndices, int size) {
    this.name = name;
    this.xStore = xStore;
    this.xRows = xRows;
    this.yStore = yStore;
    this.yRows = yRows;
    this.parentIndices = parentIndices;
    this.rootIndices = rootIndices;
    this.size = size;
  }

  private static int checkSizes(String name, Tensor x, Targets y) {
    if (x.rank() < 1) throw new IllegalArgumentException("data set '" + name + "': inputs must be [N, ...], got a scalar");
    if (x.dim(0) != y.size()) throw new IllegalArgumentException("data set '" + name + "': " + x.dim(0) + " inputs but " + y.size() + " targets");
    return x.dim(0);
  }

  /** A detached, contiguous CPU tensor owning its storage from offset 0 (so rows can be copied with arraycopy). */
  private static Tensor owning(Tensor x) {
    return x.cpu().detach().owning();
  }

  // ------------------------------------------------------------------ accessors

  public String name() {
    return name;
  }

  /** Number of examples. */
  public int size() {
    return size;
  }

  public DType dtype() {
    return xStore.dtype();
  }

  /** Shape of one example's input (x's shape without the first axis). */
  public int[] inputShape() {
    int[] s = xStore.shape();
    return Arrays.copyOfRange(s, 1, s.length);
  }

  /** Number of input values per example (the product of {@link #inputShape()}). */
  public int inputSize() {
    int n = 1;
    for (int d : inputShape()) n *= d;
    return n;
  }

  /** All inputs [N, ...] (the stored tensor itself for a root set, a gathered copy for a subset). */
  public Tensor x() {
    return xRows == null ? xStore : gather(xStore, xRows);
  }

  /** All targets, row i for example i. */
  public Targets y() {
    return yRows == null ? yStore : yStore.select(yRows);
  }

  public boolean isClassification() {
    return yStore instanceof Targets.Classes;
  }

  /** Class labels (a fresh array); an error for regression sets. */
  public int[] labels() {
    if (y() instanceof Targets.Classes c) return c.labels().clone();
    throw new IllegalStateException("data set '" + name + "' has regression targets, not labels");
  }

  /** Number of classes; an error for regression sets. */
  public int numClasses() {
    if (yStore instanceof Targets.Classes c) return c.numClasses();
    throw new IllegalStateException("data set '" + name + "' has regression targets, not classes");
  }

  /** Number of regression outputs per example (d of the [N, d] targets); an error for classification sets. */
  public int targetDim() {
    if (yStore instanceof Targets.Regression r) return r.values().dim(1);
    throw new IllegalStateException("data set '" + name + "' has class labels, not regression targets");
  }

  /** Whether this set is a subset of another. */
  public boolean hasParent() {
    return parentIndices != null;
  }

  /** Index in the parent of example i (i itself when there is no parent). */
  public int parentIndex(int i) {
    checkIndex(i, "parentIndex");
    return parentIndices == null ? i : parentIndices[i];
  }

  /** For each example, its index in the parent (a fresh array; the identity when there is no parent). */
  public int[] parentIndices() {
    return parentIndices == null ? identity(size) : parentIndices.clone();
  }

  /** Index of example i in the root set, the one loaded from disk. */
  public int rootIndex(int i) {
    checkIndex(i, "rootIndex");
    return rootIndices == null ? i : rootIndices[i];
  }

  /** For each example, its index in the root set (a fresh array). */
  public int[] rootIndices() {
    return rootIndices == null ? identity(size) : rootIndices.clone();
  }

  // ------------------------------------------------------------------ views and copies

  /**
   * The examples {@code indices} of this set, in that order (repeats allowed), as a view: example
   * i of the result is example indices[i] of this set, recorded by {@link #parentIndices()}.
   */
  public Dataset subset(int[] indices) {
    for (int j = 0; j < indices.length; j++) {
      if (indices[j] < 0 || indices[j] >= size) {
        throw new IndexOutOfBoundsException("subset of data set '" + name + "': index " + indices[j] + " at position " + j + " is outside [0, " + size + ")");
      }
    }
    return new Dataset(name, xStore, compose(xRows, indices), yStore, compose(yRows, indices), indices.clone(), compose(rootIndices, indices), indices.length);
  }

  /**
   * Rows {@code rows} of this set gathered into a batch: x [rows.length, ...], their targets, and
   * {@link Batch#indices()} = rows, the indices in this set.
   */
  public Batch batch(int[] rows) {
    for (int j = 0; j < rows.length; j++) {
      if (rows[j] < 0 || rows[j] >= size) {
        throw new IndexOutOfBoundsException("batch of data set '" + name + "': row " + rows[j] + " at position " + j + " is outside [0, " + size + ")");
      }
    }
    Tensor x = gather(xStore, compose(xRows, rows));
    Targets y = yStore.select(compose(yRows, rows));
    return new Batch(x, y, rows.clone());
  }

  /** This set with inputs converted to {@code dtype} (itself when already so); indices are kept. */
  public Dataset to(DType dtype) {
    if (dtype == dtype()) return this;
    Tensor src = x();
    Tensor conv = dtype == DType.F32 ? Tensor.of(src.toFloatArray(), src.shape()) : Tensor.of(src.toDoubleArray(), src.shape());
    return new Dataset(name, conv, null, yStore, yRows, parentIndices, rootIndices, size);
  }

  /** The same examples (same indices) with new inputs {@code x} [N, ...]. */
  public Dataset withInputs(Tensor x) {
    if (x.rank() < 1 || x.dim(0) != size) throw new IllegalArgumentException("withInputs on data set '" + name + "' of " + size + " examples: got inputs of shape " + Arrays.toString(x.shape()));
    return new Dataset(name, owning(x), null, yStore, yRows, parentIndices, rootIndices, size);
  }

  /** The same examples (same indices) with new targets (one row per example). */
  public Dataset withTargets(Targets y) {
    if (y.size() != size) throw new IllegalArgumentException("withTargets on data set '" + name + "' of " + size + " examples: got " + y.size() + " targets");
    return new Dataset(name, xStore, xRows, y, null, parentIndices, rootIndices, size);
  }

  public Dataset withName(String newName) {
    return new Dataset(newName, xStore, xRows, yStore, yRows, parentIndices, rootIndices, size);
  }

  /** The same examples with each input flattened to a vector: x [N, inputSize()] (a view, no copy). */
  public Dataset flattenInputs() {
    return new Dataset(name, xStore.reshape(xStore.dim(0), inputSize()), xRows, yStore, yRows, parentIndices, rootIndices, size);
  }

  /** The same examples with each input reshaped to {@code shape} (a view, no copy). */
  public Dataset reshapeInputs(int... shape) {
    int[] full = new int[shape.length + 1];
    full[0] = xStore.dim(0);
    System.arraycopy(shape, 0, full, 1, shape.length);
    return new Dataset(name, xStore.reshape(full), xRows, yStore, yRows, parentIndices, rootIndices, size);
  }

  @Override
  public String toString() {
    String t = isClassification() ? numClasses() + " classes" : "regression, " + targetDim() + " output(s)";
    return "Dataset '" + name + "': " + size + " examples of shape " + Arrays.toString(inputShape()) + " " + dtype() + ", " + t + (hasParent() ? ", subset" : "");
  }

  // ------------------------------------------------------------------ helpers

  private void checkIndex(int i, String what) {
    if (i < 0 || i >= size) throw new IndexOutOfBoundsException(what + "(" + i + ") on data set '" + name + "' of " + size + " examples");
  }

  private static int[] identity(int n) {
    int[] r = new int[n];
    for (int i = 0; i < n; i++) r[i] = i;
    return r;
  }

  /** map ∘ indices: out[j] = map[indices[j]], or a copy of indices when map is the identity (null). */
  private static int[] compose(int[] map, int[] indices) {
    if (map == null) return indices.clone();
    int[] out = new int[indices.length];
    for (int j = 0; j < indices.length; j++) out[j] = map[indices[j]];
    return out;
  }

  /** Rows {@code rows} of a storage-owning tensor, copied into a new contiguous tensor. */
  static Tensor gather(Tensor store, int[] rows) {
    int[] shape = store.shape();
    int per = 1;
    for (int a = 1; a < shape.length; a++) per *= shape[a];
    shape[0] = rows.length;
    if (store.dtype() == DType.F32) {
      float[] src = store.floatStorage(), dst = new float[rows.length * per];
      for (int j = 0; j < rows.length; j++) System.arraycopy(src, rows[j] * per, dst, j * per, per);
      return Tensor.of(dst, shape);
    }
    double[] src = store.doubleStorage(), dst = new double[rows.length * per];
    for (int j = 0; j < rows.length; j++) System.arraycopy(src, rows[j] * per, dst, j * per, per);
    return Tensor.of(dst, shape);
  }
}
