package dev.unroll.autodiff;

import java.util.Arrays;

/**
 * A dense n-dimensional array of float32 or float64 with shape, strides and offset over a storage
 * that views share (reshape, transpose, slice and expand create views without copying when they
 * can). A tensor is also a node of the define-by-run autodiff graph: the op that produced it and
 * whether gradients flow to it. Values are never mutated by ops; only {@link Tensor#copyFrom} and
 * the optimizers' explicit in-place updates write to storage, and only on leaves.
 */
public final class Tensor {
  final DType dtype;
  final int[] shape;
  final int[] strides;
  final int offset;
  /** CPU storage: exactly one of f, d is non-null for CPU tensors. */
  final float[] f;
  final double[] d;
  /** Device storage (e.g. an OpenCL buffer) when the tensor does not live on the CPU. */
  final Object device;
  final Backend backend;

  // Autodiff state.
  Node node;
  boolean requiresGrad;
  Tensor grad;
  String name;

  Tensor(DType dtype, int[] shape, int[] strides, int offset, float[] f, double[] d, Object device, Backend backend) {
    this.dtype = dtype;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.f = f;
    this.d = d;
    this.device = device;
    this.backend = backend;
  }

  // ---------------------------------------------------------------- factories

  /** A float64 tensor over {@code data} (not copied) with the given shape. */
  public static Tensor of(double[] data, int... shape) {
    check(data.length, shape);
    return new Tensor(DType.F64, shape.clone(), Shape.contiguousStrides(shape), 0, null, data, null, Backends.cpu());
  }

  /** A float32 tensor over {@code data} (not copied) with the given shape. */
  public static Tensor of(float[] data, int... shape) {
    check(data.length, shape);
    return new Tensor(DType.F32, shape.clone(), Shape.contiguousStrides(shape), 0, data, null, null, Backends.cpu());
  }

  /** A tensor of {@code dtype} holding {@code values} (converted), with the given shape. */
  public static Tensor of(DType dtype, double[] values, int... shape) {
    if (dtype == DType.F64) return of(values.clone(), shape);
    float[] a = new float[values.length];
    for (int i = 0; i < a.length; i++) a[i] = (float) values[i];
    return of(a, shape);
  }

  /** A scalar (rank 0). */
  public static Tensor scalar(DType dtype, double value) {
    return of(dtype, new double[] {value});
  }

  public static Tensor zeros(DType dtype, int... shape) {
    int n = Shape.numel(shape);
    return dtype == DType.F64 ? of(new double[n], shape) : of(new float[n], shape);
  }

  public static Tensor full(DType dtype, double value, int... shape) {
    double[] v = new double[Shape.numel(shape)];
    Arrays.fill(v, value);
    return of(dtype, v, shape);
  }

  public static Tensor ones(DType dtype, int... shape) {
    return full(dtype, 1.0, shape);
  }

  /** Standard normal entries drawn from {@code rng}. */
  public static Tensor randn(Rng rng, DType dtype, int... shape) {
    double[] v = new double[Shape.numel(shape)];
    for (int i = 0; i < v.length; i++) v[i] = rng.normal();
    return of(dtype, v, shape);
  }

  /** Uniform entries in [lo, hi) drawn from {@code rng}. */
  public static Tensor uniform(Rng rng, DType dtype, double lo, double hi, int... shape) {
    double[] v = new double[Shape.numel(shape)];
    for (int i = 0; i < v.length; i++) v[i] = lo + (hi - lo) * rng.uniform();
    return of(dtype, v, shape);
  }

  private static void check(int n, int[] shape) {
    if (Shape.numel(shape) != n) {
      throw new IllegalArgumentException("data of length " + n + " does not fit shape " + Shape.str(shape));
    }
  }

  // ---------------------------------------------------------------- accessors

  public DType dtype() { return dtype; }

  public int[] shape() { return shape.clone(); }

  public int rank() { return shape.length; }

  /** Size of dimension {@code axis} (negative counts from the end). */
  public int dim(int axis) { return shape[Shape.axis(axis, shape.length, "dim")]; }

  public int numel() { return Shape.numel(shape); }

  public Backend backend() { return backend; }

  /** True when the elements lie in row-major order without gaps from {@code offset}. */
  public boolean isContiguous() {
    int s = 1;
    for (int i = shape.length - 1; i >= 0; i--) {
      if (shape[i] != 1 && strides[i] != s) return false;
      s *= shape[i];
    }
    return true;
  }

  public boolean requiresGrad() { return requiresGrad; }

  /** Marks a leaf as a variable whose gradient is wanted. Returns this. */
  public Tensor requiresGrad(boolean on) {
    if (node != null && !on) throw new IllegalStateException("requiresGrad(false) on a non-leaf tensor: use detach()");
    requiresGrad = on;
    return this;
  }

  /** The gradient accumulated by {@link #backward()} (null until then). */
  public Tensor grad() { return grad; }

  public void zeroGrad() { grad = null; }

  /** True when this tensor was produced by a recorded op. */
  public boolean isLeaf() { return node == null; }

  /** Name of the op that produced this tensor, or null for a leaf. */
  public String producer() { return node == null ? null : node.op.name(); }

  public Tensor name(String n) { name = n; return this; }

  public String name() { return name; }

  /** The same values, cut from the graph. Shares storage. */
  public Tensor detach() {
    return new Tensor(dtype, shape, strides, offset, f, d, device, backend);
  }

  /** Element at a multi-index, as double. */
  public double get(int... idx) {
    Tensor t = cpu();
    if (idx.length != shape.length) throw new IllegalArgumentException("get: index of rank " + idx.length + " for shape " + Shape.str(shape));
    int o = t.offset;
    for (int i = 0; i < idx.length; i++) {
      if (idx[i] < 0 || idx[i] >= shape[i]) throw new IndexOutOfBoundsException("get: index " + Arrays.toString(idx) + " out of bounds for shape " + Shape.str(shape));
      o += idx[i] * t.strides[i];
    }
    return t.f != null ? t.f[o] : t.d[o];
  }

  /** The single value of a one-element tensor. */
  public double item() {
    if (numel() != 1) throw new IllegalStateException("item() on a tensor of shape " + Shape.str(shape));
    Tensor t = cpu();
    return t.f != null ? t.f[t.offset] : t.d[t.offset];
  }

  /** A fresh row-major copy of the values as double[]. */
  public double[] toDoubleArray() {
    Tensor t = cpu().contiguous();
    int n = numel();
    double[] out = new double[n];
    if (t.d != null) System.arraycopy(t.d, t.offset, out, 0, n);
    else for (int i = 0; i < n; i++) out[i] = t.f[t.offset + i];
    return out;
  }

  /** A fresh row-major copy of the values as float[]. */
  public float[] toFloatArray() {
    Tensor t = cpu().contiguous();
    int n = numel();
    float[] out = new float[n];
    if (t.f != null) System.arraycopy(t.f, t.offset, out, 0, n);
    else for (int i = 0; i < n; i++) out[i] = (float) t.d[t.offset + i];
    return out;
  }

  /**
   * Whether this is a contiguous CPU tensor whose backing array holds exactly its values from offset
   * 0, so that {@link #doubleStorage} or {@link #floatStorage} (by dtype) returns it without a copy.
   */
  public boolean ownsStorage() {
    int length = d != null ? d.length : f != null ? f.length : -1;
    return length == numel() && offset == 0 && isContiguous();
  }

  /** This tensor if it {@link #ownsStorage owns its storage}, else a contiguous CPU copy of its values that does. */
  public Tensor owning() {
    if (ownsStorage()) return this;
    return dtype == DType.F32 ? Tensor.of(toFloatArray(), shape()) : Tensor.of(toDoubleArray(), shape());
  }

  /** The backing array of a contiguous CPU float64 tensor with offset 0 (no copy); throws otherwise. */
  public double[] doubleStorage() {
    if (d == null || offset != 0 || !isContiguous() || d.length != numel()) throw new IllegalStateException("doubleStorage() needs a contiguous float64 CPU tensor owning its storage");
    return d;
  }

  /** The backing array of a contiguous CPU float32 tensor with offset 0 (no copy); throws otherwise. */
  public float[] floatStorage() {
    if (f == null || offset != 0 || !isContiguous() || f.length != numel()) throw new IllegalStateException("floatStorage() needs a contiguous float32 CPU tensor owning its storage");
    return f;
  }

  /**
   * Overwrites this tensor's values with {@code src}'s (same shape; dtypes converted). Only for
   * leaves outside a recorded graph: optimizers and checkpoint loading use it.
   */
  public Tensor copyFrom(Tensor src) {
    if (!Arrays.equals(shape, src.shape)) throw new IllegalArgumentException("copyFrom: shape " + Shape.str(src.shape) + " into " + Shape.str(shape));
    if (node != null) throw new IllegalStateException("copyFrom on a non-leaf tensor");
    if (!isContiguous()) throw new IllegalStateException("copyFrom needs a contiguous destination");
    backend.copyInto(src.to(dtype), this);
    return this;
  }

  /** This tensor on the CPU (itself if already there). */
  public Tensor cpu() {
    return backend.isCpu() ? this : backend.toCpu(this);
  }

  /** This tensor moved to {@code target} (itself if already there); differentiable. */
  public Tensor to(Backend target) {
    return target == backend ? this : Ops.transfer(this, target);
  }

  // ---------------------------------------------------------------- ops (see Ops for the rules)

  public Tensor add(Tensor o) { return Ops.add(this, o); }
  public Tensor sub(Tensor o) { return Ops.sub(this, o); }
  public Tensor mul(Tensor o) { return Ops.mul(this, o); }
  public Tensor div(Tensor o) { return Ops.div(this, o); }
  public Tensor add(double c) { return Ops.add(this, constant(c)); }
  public Tensor sub(double c) { return Ops.sub(this, constant(c)); }
  public Tensor mul(double c) { return Ops.mul(this, constant(c)); }
  public Tensor div(double c) { return Ops.div(this, constant(c)); }
  public Tensor neg() { return Ops.neg(this); }
  public Tensor pow(double p) { return Ops.pow(this, p); }
  public Tensor square() { return Ops.mul(this, this); }
  public Tensor exp() { return Ops.exp(this); }
  public Tensor log() { return Ops.log(this); }
  public Tensor sqrt() { return Ops.sqrt(this); }
  public Tensor tanh() { return Ops.tanh(this); }
  public Tensor sigmoid() { return Ops.sigmoid(this); }
  public Tensor relu() { return Ops.relu(this); }
  public Tensor gelu() { return Ops.gelu(this); }
  public Tensor softplus() { return Ops.softplus(this); }
  public Tensor abs() { return Ops.abs(this); }
  public Tensor matmul(Tensor o) { return Ops.matmul(this, o); }
  public Tensor reshape(int... s) { return Ops.reshape(this, s); }
  public Tensor flatten(int fromAxis) { return Ops.flatten(this, fromAxis); }
  public Tensor permute(int... p) { return Ops.permute(this, p); }
  /** Swaps the last two axes (a view). */
  public Tensor t() { return Ops.transpose(this, -2, -1); }
  public Tensor transpose(int a, int b) { return Ops.transpose(this, a, b); }
  public Tensor expand(int... s) { return Ops.expand(this, s); }
  public Tensor slice(int axis, int start, int end) { return Ops.slice(this, axis, start, end); }
  public Tensor sum(int... axes) { return Ops.sum(this, false, axes); }
  public Tensor sumKeep(int... axes) { return Ops.sum(this, true, axes); }
  public Tensor mean(int... axes) { return Ops.mean(this, false, axes); }
  public Tensor max(int... axes) { return Ops.max(this, false, axes); }
  public Tensor softmax(int axis) { return Ops.softmax(this, axis); }
  public Tensor logSoftmax(int axis) { return Ops.logSoftmax(this, axis); }
  public Tensor logsumexp(int axis) { return Ops.logsumexp(this, axis, false); }
  public Tensor contiguous() { return isContiguous() ? this : Ops.contiguous(this); }
  /** Converts the element type; differentiable (the gradient is converted back). */
  public Tensor to(DType t) { return t == dtype ? this : Ops.cast(this, t); }

  /** Reverse-mode: accumulates d(this)/d(leaf) into the {@code grad} of every leaf that requires it. This must be a scalar. */
  public void backward() { Autograd.backward(this); }

  /** A scalar of this tensor's dtype and backend. */
  public Tensor constant(double c) {
    Tensor s = scalar(dtype, c);
    return backend.isCpu() ? s : backend.fromCpu(s);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Tensor(").append(dtype).append(", ").append(Shape.str(shape));
    if (node != null) sb.append(", grad_fn=").append(node.op);
    else if (requiresGrad) sb.append(", requires_grad");
    if (numel() <= 16) sb.append(", ").append(Arrays.toString(toDoubleArray()));
    return sb.append(')').toString();
  }
}
