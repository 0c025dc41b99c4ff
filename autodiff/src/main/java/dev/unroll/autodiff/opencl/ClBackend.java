package dev.unroll.autodiff.opencl;

import static org.jocl.CL.*;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.BinaryOp;
import dev.unroll.autodiff.ConvGeometry;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.DeviceTensors;
import dev.unroll.autodiff.InPlaceUpdates;
import dev.unroll.autodiff.Shape;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.UnaryOp;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;

/**
 * A backend whose tensors live in the memory of one OpenCL device. Values stay on the device from
 * op to op; they cross to the host only in {@link #toCpu} and {@link #fromCpu} (and
 * {@link #copyInto} from a CPU tensor), and gather/scatter-add upload their host index arrays.
 *
 * <p>Layout work (broadcasting, merging of axes, permutations) is done on the host as in
 * {@link dev.unroll.autodiff.CpuBackend}; the kernels (kernels.cl) receive shapes and strides of up
 * to 8 merged axes. Float32 always; float64 where the device has cl_khr_fp64. GEMM, col2im,
 * gather, scatter-add, copies and casts compute exactly what the scalar reference computes, bit for
 * bit; elementwise maps use the device's math library (float64: within a few ulp; float32: within
 * the OpenCL accuracy bounds, e.g. 4 ulp for exp, 16 for pow); reductions longer than 64 use a
 * fixed pairwise tree (same result every run, not the reference's summation order).
 *
 * <p>Ownership: the backend owns its context, queue, programs and kernels, and every buffer it
 * allocates. A buffer is released when the last tensor viewing it becomes unreachable, or at
 * {@link #close()}, which also releases everything else; tensors of a closed backend can no longer
 * be used. All calls are serialised on the backend (OpenCL kernel objects are not thread-safe).
 */
public final class ClBackend implements Backend, InPlaceUpdates, AutoCloseable {
  /** Largest number of merged axes a kernel handles (shapes travel as int8 vectors). */
  static final int MAX_RANK = 8;
  /** Rows up to this length are reduced by one work-item each, in index order. */
  static final int SEQUENTIAL_REDUCTION = 64;
  private static final int TS = 32, RTS = 8, ROWS_RB = 8, ROWS_GROUP = 64;

  private final ClDevice device;
  private final cl_context context;
  private final cl_command_queue queue;
  private final ClProgram f32;
  private final ClProgram f64;
  private final ClMemory memory;
  private final int reduceGroup;
  private GemmKernel gemmKernel;
  private boolean closed;

  /**
   * The two GEMM kernels of kernels.cl; they compute the same sums in the same order. TILED stages
   * 32×32 tiles through local memory (GPUs); ROWS lets each work-item compute 8 rows of one column
   * straight from global memory (CPU devices, where local memory and barriers are emulated).
   */
  enum GemmKernel { TILED, ROWS }

  private ClBackend(ClDevice device, cl_context context, cl_command_queue queue, ClProgram f32, ClProgram f64) {
    this.device = device;
    this.context = context;
    this.queue = queue;
    this.f32 = f32;
    this.f64 = f64;
    this.memory = new ClMemory(context, device);
    long g = Math.min(256, f32.maxGroup("reduce_rows"));
    if (f64 != null) g = Math.min(g, f64.maxGroup("reduce_rows"));
    this.reduceGroup = Integer.highestOneBit((int) Math.max(g, 1));
    String forced = System.getProperty("unroll.opencl.gemm");
    this.gemmKernel = forced != null ? GemmKernel.valueOf(forced.trim().toUpperCase()) : device.type().equals("CPU") ? GemmKernel.ROWS : GemmKernel.TILED;
  }

  /** The GEMM kernel in use (by default ROWS on CPU devices, TILED elsewhere; -Dunroll.opencl.gemm=tiled|rows overrides). */
  synchronized GemmKernel gemmKernel() {
    return gemmKernel;
  }

  /** Selects the GEMM kernel (tests run both on every device). */
  synchronized void gemmKernel(GemmKernel k) {
    gemmKernel = k;
  }

  /**
   * Opens a backend on {@code device}: a context, an in-order queue and the kernels compiled for
   * float32 (and float64 if supported). The caller owns it and must {@link #close()} it.
   */
  public static ClBackend open(ClDevice device) {
    CL.setExceptionsEnabled(true);
    cl_device_id[] devs = {device.deviceId()};
    cl_context context = null;
    cl_command_queue queue = null;
    ClProgram f32 = null, f64 = null;
    try {
      context = clCreateContext(null, 1, devs, null, null, null);
      // clCreateCommandQueue is deprecated in OpenCL 2.0 but is the one call every version has.
      @SuppressWarnings("deprecation")
      cl_command_queue q = clCreateCommandQueue(context, device.deviceId(), 0, null);
      queue = q;
      f32 = ClProgram.build(context, device, false);
      if (device.fp64()) f64 = ClProgram.build(context, device, true);
      return new ClBackend(device, context, queue, f32, f64);
    } catch (RuntimeException | Error e) {
      if (f64 != null) f64.close();
      if (f32 != null) f32.close();
      if (queue != null) clReleaseCommandQueue(queue);
      if (context != null) clReleaseContext(context);
      throw e;
    }
  }

  public ClDevice device() {
    return device;
  }

  @Override
  public String name() {
    return "opencl:" + device.index() + " (" + device.name() + ")";
  }

  @Override
  public boolean isCpu() {
    return false;
  }

  /** True where float64 tensors can live on this device. */
  public boolean supportsFloat64() {
    return f64 != null;
  }

  /** Waits until every enqueued kernel has finished (for timing; results are read blocking anyway). */
  public synchronized void finish() {
    ensureOpen();
    clFinish(queue);
  }

  /** Buffers currently held (for tests and memory reports). */
  public int liveBuffers() {
    return memory.liveCount();
  }

  /** Bytes of device memory currently held by tensors. */
  public long liveBytes() {
    return memory.liveBytes();
  }

  long releasedBuffers() {
    return memory.releasedCount();
  }

  long allocatedBuffers() {
    return memory.allocatedCount();
  }

  long releaseErrors() {
    return memory.releaseErrors();
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  /**
   * Releases every buffer, the kernels, programs, queue and context, after the queued work has
   * finished. Idempotent. Tensors of this backend are unusable afterwards.
   */
  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    try {
      clFinish(queue);
    } finally {
      memory.releaseAll();
      if (f64 != null) f64.close();
      f32.close();
      clReleaseCommandQueue(queue);
      clReleaseContext(context);
    }
  }

  private void ensureOpen() {
    if (closed) throw new IllegalStateException("the OpenCL backend " + name() + " is closed");
  }

  // ------------------------------------------------------------------ tensors and buffers

  private ClProgram program(DType t) {
    if (t == DType.F32) return f32;
    if (f64 == null) throw new IllegalArgumentException(device.name() + " has no float64 support (cl_khr_fp64); convert to float32 with .to(DType.F32) before moving to " + name());
    return f64;
  }

  private Tensor alloc(DType t, int[] shape) {
    program(t);
    ClBuffer b = memory.allocate(Shape.numel(shape), t.bytes);
    return DeviceTensors.wrap(t, shape, Shape.contiguousStrides(shape), 0, b, this);
  }

  private ClBuffer buf(Tensor x, String op) {
    if (x.backend() != this) throw new IllegalArgumentException(op + ": a tensor of " + x.backend().name() + " given to " + name());
    return (ClBuffer) DeviceTensors.storage(x);
  }

  private static int[] shapeOf(Tensor x) {
    return DeviceTensors.shape(x);
  }

  private static int[] stridesOf(Tensor x) {
    return DeviceTensors.strides(x);
  }

  private static int offsetOf(Tensor x) {
    return DeviceTensors.offset(x);
  }

  private Tensor view(Tensor x, int[] shape, int[] strides, int offset) {
    return DeviceTensors.wrap(x.dtype(), shape, strides, offset, DeviceTensors.storage(x), this);
  }

  @Override
  public synchronized Tensor toCpu(Tensor x) {
    ensureOpen();
    Tensor c = x.isContiguous() ? x : contiguous(x);
    ClBuffer b = buf(c, "toCpu");
    int n = c.numel();
    long at = (long) offsetOf(c) * x.dtype().bytes;
    Tensor out;
    if (x.dtype() == DType.F64) {
      double[] v = new double[n];
      if (n > 0) clEnqueueReadBuffer(queue, b.mem, CL_TRUE, at, 8L * n, Pointer.to(v), 0, null, null);
      out = Tensor.of(v, shapeOf(x).clone());
    } else {
      float[] v = new float[n];
      if (n > 0) clEnqueueReadBuffer(queue, b.mem, CL_TRUE, at, 4L * n, Pointer.to(v), 0, null, null);
      out = Tensor.of(v, shapeOf(x).clone());
    }
    Reference.reachabilityFence(b);
    return out;
  }

  @Override
  public synchronized Tensor fromCpu(Tensor x) {
    ensureOpen();
    if (!x.backend().isCpu()) throw new IllegalArgumentException("fromCpu: a tensor of " + x.backend().name() + " is not on the CPU");
    program(x.dtype());
    Tensor c = x.isContiguous() ? x : Backends.cpu().contiguous(x);
    int n = c.numel(), off = offsetOf(c);
    ClBuffer b = x.dtype() == DType.F64 ? memory.upload(DeviceTensors.doubles(c), off, n) : memory.upload(DeviceTensors.floats(c), off, n);
    int[] shape = shapeOf(x).clone();
    return DeviceTensors.wrap(x.dtype(), shape, Shape.contiguousStrides(shape), 0, b, this);
  }

  // ------------------------------------------------------------------ launching

  /** Sets the arguments of one kernel launch with the host types of its C parameters. */
  private final class Launch {
    private final cl_kernel kernel;
    private final String name;
    private final ClProgram program;
    private final List<ClBuffer> keep = new ArrayList<>(4);
    private int arg;

    Launch(ClProgram p, String name) {
      this.kernel = p.kernel(name);
      this.name = name;
      this.program = p;
    }

    /** A __global pointer. */
    Launch mem(ClBuffer b) {
      keep.add(b);
      clSetKernelArg(kernel, arg++, Sizeof.cl_mem, Pointer.to(b.mem));
      return this;
    }

    /** An int (32 bits, as in C); never a Java long. */
    Launch i32(int v) {
      clSetKernelArg(kernel, arg++, Sizeof.cl_int, Pointer.to(new int[] {v}));
      return this;
    }

    /** An int8 vector: up to 8 sizes or strides, the rest zero. */
    Launch i32x8(int[] v) {
      if (v.length > MAX_RANK) throw new IllegalStateException(name + ": more than " + MAX_RANK + " axes");
      clSetKernelArg(kernel, arg++, Sizeof.cl_int8, Pointer.to(Arrays.copyOf(v, 8)));
      return this;
    }

    /** A scalar of the kernel's element type T: rounded to float for float32 kernels. */
    Launch real(DType t, double v) {
      if (t == DType.F64) clSetKernelArg(kernel, arg++, Sizeof.cl_double, Pointer.to(new double[] {v}));
      else clSetKernelArg(kernel, arg++, Sizeof.cl_float, Pointer.to(new float[] {(float) v}));
      return this;
    }

    /** A __local array of {@code bytes}. */
    Launch local(long bytes) {
      clSetKernelArg(kernel, arg++, bytes, null);
      return this;
    }

    /** One work-item per index in [0, n), in groups of up to 64. */
    void run(int n) {
      if (n <= 0) return;
      long local = Math.min(64, program.maxGroup(name));
      long global = (n + local - 1) / local * local;
      enqueue(new long[] {global}, new long[] {local});
    }

    void enqueue(long[] global, long[] local) {
      clEnqueueNDRangeKernel(queue, kernel, global.length, null, global, local, 0, null, null);
      // The buffers must outlive the enqueue: their cleaning actions may not release them before.
      Reference.reachabilityFence(keep);
    }
  }

  /**
   * Shapes and strides with size-1 axes dropped and neighbouring axes merged where every operand
   * is contiguous across them (CpuBackend's coalescing), so most ops reach the kernels with rank 1
   * or 2.
   */
  private record Layout(int rank, int[] shape, int[][] strides) {}

  private Layout layout(String op, int[] shape, int[]... strides) {
    int ops = strides.length;
    int[] s = new int[shape.length];
    int[][] st = new int[ops][shape.length];
    int r = 0;
    for (int d = 0; d < shape.length; d++) {
      if (shape[d] == 1) continue;
      if (r > 0) {
        boolean merge = true;
        for (int o = 0; o < ops && merge; o++) merge = st[o][r - 1] == strides[o][d] * shape[d];
        if (merge) {
          s[r - 1] *= shape[d];
          for (int o = 0; o < ops; o++) st[o][r - 1] = strides[o][d];
          continue;
        }
      }
      s[r] = shape[d];
      for (int o = 0; o < ops; o++) st[o][r] = strides[o][d];
      r++;
    }
    if (r > MAX_RANK) throw new IllegalArgumentException(op + " on " + name() + ": shape " + Shape.str(shape) + " has " + r + " axes after merging; at most " + MAX_RANK + " are supported");
    int[][] out = new int[ops][];
    for (int o = 0; o < ops; o++) out[o] = Arrays.copyOf(st[o], r);
    return new Layout(r, Arrays.copyOf(s, r), out);
  }

  // ------------------------------------------------------------------ elementwise

  @Override
  public synchronized Tensor unary(UnaryOp op, Tensor x) {
    ensureOpen();
    ClBuffer xb = buf(x, op.name());
    Tensor y = alloc(x.dtype(), shapeOf(x).clone());
    Layout l = layout(op.name(), shapeOf(x), stridesOf(x));
    new Launch(program(x.dtype()), "unary").i32(op.ordinal()).mem(xb).i32(offsetOf(x)).i32x8(l.strides[0])
        .mem(buf(y, op.name())).i32(l.rank).i32x8(l.shape).i32(y.numel()).run(y.numel());
    return y;
  }

  @Override
  public synchronized Tensor binary(BinaryOp op, Tensor a, Tensor b) {
    ensureOpen();
    String name = op.name().toLowerCase();
    ClBuffer ab = buf(a, name), bb = buf(b, name);
    int[] shape = Shape.broadcast(name, shapeOf(a), shapeOf(b));
    Tensor z = alloc(a.dtype(), shape);
    Layout l = layout(name, shape, Shape.broadcastStrides(shapeOf(a), stridesOf(a), shape), Shape.broadcastStrides(shapeOf(b), stridesOf(b), shape));
    new Launch(program(a.dtype()), "binary").i32(op.ordinal()).mem(ab).i32(offsetOf(a)).i32x8(l.strides[0])
        .mem(bb).i32(offsetOf(b)).i32x8(l.strides[1]).mem(buf(z, name)).i32(l.rank).i32x8(l.shape).i32(z.numel()).run(z.numel());
    return z;
  }

  @Override
  public synchronized Tensor where(Tensor mask, Tensor a, Tensor b) {
    ensureOpen();
    ClBuffer mb = buf(mask, "where"), ab = buf(a, "where"), bb = buf(b, "where");
    int[] shape = Shape.broadcast("where", Shape.broadcast("where", shapeOf(mask), shapeOf(a)), shapeOf(b));
    Tensor z = alloc(a.dtype(), shape);
    Layout l = layout("where", shape, Shape.broadcastStrides(shapeOf(mask), stridesOf(mask), shape),
        Shape.broadcastStrides(shapeOf(a), stridesOf(a), shape), Shape.broadcastStrides(shapeOf(b), stridesOf(b), shape));
    new Launch(program(a.dtype()), "where3").mem(mb).i32(offsetOf(mask)).i32x8(l.strides[0]).mem(ab).i32(offsetOf(a)).i32x8(l.strides[1])
        .mem(bb).i32(offsetOf(b)).i32x8(l.strides[2]).mem(buf(z, "where")).i32(l.rank).i32x8(l.shape).i32(z.numel()).run(z.numel());
    return z;
  }

  /** Copies src into the strided destination (dstOff, dstStrides) of dst's buffer, shape of src. */
  private void copyStrided(String op, Tensor src, ClBuffer dst, int dstOff, int[] dstStrides) {
    Layout l = layout(op, shapeOf(src), stridesOf(src), dstStrides);
    int n = src.numel();
    new Launch(program(src.dtype()), "copy").mem(buf(src, op)).i32(offsetOf(src)).i32x8(l.strides[0])
        .mem(dst).i32(dstOff).i32x8(l.strides[1]).i32(l.rank).i32x8(l.shape).i32(n).run(n);
  }

  private void fillZero(DType t, ClBuffer b, int n) {
    new Launch(program(t), "fill_zero").mem(b).i32(n).run(n);
  }

  @Override
  public synchronized Tensor contiguous(Tensor x) {
    ensureOpen();
    Tensor y = alloc(x.dtype(), shapeOf(x).clone());
    copyStrided("contiguous", x, buf(y, "contiguous"), 0, stridesOf(y));
    return y;
  }

  @Override
  public synchronized void copyInto(Tensor src, Tensor dst) {
    ensureOpen();
    if (src.dtype() != dst.dtype() || !Arrays.equals(shapeOf(src), shapeOf(dst))) {
      throw new IllegalArgumentException("copyInto: " + src.dtype() + Shape.str(shapeOf(src)) + " into " + dst.dtype() + Shape.str(shapeOf(dst)));
    }
    ClBuffer db = buf(dst, "copyInto");
    if (src.backend() == this) {
      copyStrided("copyInto", src, db, offsetOf(dst), stridesOf(dst));
      return;
    }
    // From the host (or another device through the host): one blocking write when dst is contiguous.
    Tensor c = src.cpu();
    if (!c.isContiguous()) c = Backends.cpu().contiguous(c);
    if (dst.isContiguous()) {
      int n = c.numel();
      if (n == 0) return;
      long at = (long) offsetOf(dst) * dst.dtype().bytes;
      Pointer host = dst.dtype() == DType.F64
          ? Pointer.to(DeviceTensors.doubles(c)).withByteOffset(8L * offsetOf(c))
          : Pointer.to(DeviceTensors.floats(c)).withByteOffset(4L * offsetOf(c));
      clEnqueueWriteBuffer(queue, db.mem, CL_TRUE, at, (long) n * dst.dtype().bytes, host, 0, null, null);
      Reference.reachabilityFence(db);
      Reference.reachabilityFence(c);
    } else {
      copyStrided("copyInto", fromCpu(c), db, offsetOf(dst), stridesOf(dst));
    }
  }

  @Override
  public synchronized Tensor cast(Tensor x, DType t) {
    ensureOpen();
    if (t == x.dtype()) return contiguous(x);
    ClProgram p = program(DType.F64);
    Tensor c = x.isContiguous() ? x : contiguous(x);
    Tensor y = alloc(t, shapeOf(x).clone());
    int n = y.numel();
    new Launch(p, t == DType.F64 ? "to_double" : "to_float").mem(buf(c, "cast")).i32(offsetOf(c)).mem(buf(y, "cast")).i32(n).run(n);
    return y;
  }

  // ------------------------------------------------------------------ matrix product

  @Override
  public synchronized Tensor matmul(Tensor a, Tensor b) {
    ensureOpen();
    buf(a, "matmul");
    buf(b, "matmul");
    int[] as = shapeOf(a), bs = shapeOf(b);
    int ra = as.length, rb = bs.length;
    int m = as[ra - 2], kk = as[ra - 1], n = bs[rb - 1];
    int[] batchA = Arrays.copyOf(as, ra - 2), batchB = Arrays.copyOf(bs, rb - 2);
    int[] batch = Shape.broadcast("matmul", batchA, batchB);
    int[] outShape = Arrays.copyOf(batch, batch.length + 2);
    outShape[batch.length] = m;
    outShape[batch.length + 1] = n;
    Tensor c = alloc(a.dtype(), outShape);
    if (c.numel() == 0) return c;
    Tensor bb = matrixOperand(b);
    boolean tb = isTransposed(bb);
    int ldb = tb ? stridesOf(bb)[rb - 1] : stridesOf(bb)[rb - 2];
    if (rb == 2 && ra > 2 && a.isContiguous() && kk > 0) {
      // A stack of row-major matrices times one matrix: fold the batch into the rows of one GEMM.
      gemm(a, false, offsetOf(a), kk, bb, tb, offsetOf(bb), ldb, a.numel() / kk, n, kk, c, new Layout(0, new int[0], new int[2][0]));
      return c;
    }
    Tensor aa = matrixOperand(a);
    boolean ta = isTransposed(aa);
    int lda = ta ? stridesOf(aa)[ra - 1] : stridesOf(aa)[ra - 2];
    int[] sa = Shape.broadcastStrides(batchA, Arrays.copyOf(stridesOf(aa), ra - 2), batch);
    int[] sb = Shape.broadcastStrides(batchB, Arrays.copyOf(stridesOf(bb), rb - 2), batch);
    int[] sc = Shape.contiguousStrides(batch);
    Layout l = layout("matmul", batch, sa, sb, sc);
    gemm(aa, ta, offsetOf(aa), lda, bb, tb, offsetOf(bb), ldb, m, n, kk, c, l);
    return c;
  }

  /** A matrix operand whose last two axes have unit stride in one of them (else a copy). */
  private Tensor matrixOperand(Tensor x) {
    int[] s = shapeOf(x), st = stridesOf(x);
    int r = s.length;
    boolean rowMajor = st[r - 1] == 1 || s[r - 1] == 1;
    boolean colMajor = st[r - 2] == 1 || s[r - 2] == 1;
    return rowMajor || colMajor ? x : contiguous(x);
  }

  private static boolean isTransposed(Tensor x) {
    int[] s = shapeOf(x), st = stridesOf(x);
    int r = s.length;
    return !(st[r - 1] == 1 || s[r - 1] == 1);
  }

  /** C (contiguous, batch × m × n) = op(A)·op(B) per batch entry; the batch is located by {@code l}. */
  private void gemm(Tensor a, boolean ta, int oa, int lda, Tensor b, boolean tb, int ob, int ldb, int m, int n, int kk, Tensor c, Layout l) {
    int count = 1;
    for (int s : l.shape) count *= s;
    boolean tiled = gemmKernel == GemmKernel.TILED;
    Launch launch = new Launch(program(a.dtype()), tiled ? "gemm" : "gemm_rows").i32(ta ? 1 : 0).i32(tb ? 1 : 0).i32(m).i32(n).i32(kk)
        .mem(buf(a, "matmul")).i32(oa).i32(lda).mem(buf(b, "matmul")).i32(ob).i32(ldb).mem(buf(c, "matmul")).i32(0)
        .i32(l.rank).i32x8(l.shape).i32x8(l.strides[0]).i32x8(l.strides[1]);
    if (tiled) {
      launch.enqueue(new long[] {(long) ((n + TS - 1) / TS) * RTS, (long) ((m + TS - 1) / TS) * RTS, count}, new long[] {RTS, RTS, 1});
    } else {
      long local = Math.min(ROWS_GROUP, program(a.dtype()).maxGroup("gemm_rows"));
      // Dimension 0 counts row blocks (groups of `local` work-items each), dimension 1 column blocks.
      launch.enqueue(new long[] {(m + ROWS_RB - 1) / ROWS_RB * local, (n + local - 1) / local, count}, new long[] {local, 1, 1});
    }
  }

  // ------------------------------------------------------------------ reductions

  @Override
  public synchronized Tensor reduce(BinaryOp op, Tensor x, int[] axes) {
    ensureOpen();
    if (op != BinaryOp.ADD && op != BinaryOp.MAX) throw new IllegalArgumentException("reduce by " + op);
    ClBuffer xb = buf(x, "reduce");
    int[] shape = shapeOf(x);
    int r = shape.length;
    int[] outShape = shape.clone();
    boolean[] red = new boolean[r];
    for (int ax : axes) {
      red[ax] = true;
      outShape[ax] = 1;
    }
    if (x.numel() == 0) throw new IllegalArgumentException("reduction over an empty tensor of shape " + Shape.str(shape));
    Tensor out = alloc(x.dtype(), outShape);
    ClBuffer ob = buf(out, "reduce");
    int rows = out.numel(), len = x.numel() / rows;
    boolean leading = true;
    for (int i = 0; i < r; i++) if (red[i] && i >= axes.length) leading = false;
    if (leading && x.isContiguous() && len > 1 && rows > 1) {
      // Reducing leading axes (e.g. a bias gradient): column sums in row order, coalesced reads.
      new Launch(program(x.dtype()), "reduce_cols").i32(op.ordinal()).mem(xb).i32(offsetOf(x)).i32(len).i32(rows).mem(ob).run(rows);
      return out;
    }
    // Move the reduced axes last; then each output element reduces one contiguous row.
    int[] perm = new int[r];
    int p = 0;
    for (int i = 0; i < r; i++) if (!red[i]) perm[p++] = i;
    for (int i = 0; i < r; i++) if (red[i]) perm[p++] = i;
    boolean trailing = true;
    for (int i = 0; i < r; i++) if (perm[i] != i) trailing = false;
    Tensor src = x;
    if (!(trailing && x.isContiguous())) {
      int[] s = new int[r], st = new int[r];
      for (int i = 0; i < r; i++) {
        s[i] = shape[perm[i]];
        st[i] = stridesOf(x)[perm[i]];
      }
      src = contiguous(view(x, s, st, offsetOf(x)));
    }
    reduceRows(op, x.dtype(), buf(src, "reduce"), offsetOf(src), rows, len, ob);
    return out;
  }

  /**
   * out[i] = reduction of row i of a contiguous [rows, len] block. Short rows: one work-item per
   * row. Long rows: one work-group per chunk of a row; when there are few rows, a row is split into
   * up to 256 / rows chunks so that the device has enough groups, and the partial results are
   * reduced again. Chunking depends only on the sizes, so the result repeats exactly.
   */
  private void reduceRows(BinaryOp op, DType t, ClBuffer x, int off, int rows, int len, ClBuffer out) {
    ClProgram prog = program(t);
    if (len <= SEQUENTIAL_REDUCTION) {
      new Launch(prog, "reduce_rows_seq").i32(op.ordinal()).mem(x).i32(off).i32(len).mem(out).i32(rows).run(rows);
      return;
    }
    int wg = reduceGroup;
    int parts = 1;
    if (rows < 256) parts = (int) Math.max(1, Math.min((len + 4L * wg - 1) / (4L * wg), 256 / rows));
    int chunk = (int) ((len + (long) parts - 1) / parts);
    parts = (len + chunk - 1) / chunk;
    ClBuffer target = parts == 1 ? out : memory.allocate(rows * parts, t.bytes);
    new Launch(prog, "reduce_rows").i32(op.ordinal()).mem(x).i32(off).i32(len).i32(chunk).i32(parts).mem(target).local((long) wg * t.bytes)
        .enqueue(new long[] {(long) rows * parts * wg}, new long[] {wg});
    if (parts > 1) reduceRows(op, t, target, 0, rows, parts, out);
  }

  // ------------------------------------------------------------------ indexing

  /** Sizes before, along and after an axis. */
  private static int[] split(int[] shape, int axis) {
    int outer = 1, inner = 1;
    for (int i = 0; i < axis; i++) outer *= shape[i];
    for (int i = axis + 1; i < shape.length; i++) inner *= shape[i];
    return new int[] {outer, shape[axis], inner};
  }

  @Override
  public synchronized Tensor gather(Tensor x, int axis, int[] index, int[] indexShape) {
    ensureOpen();
    buf(x, "gather");
    Tensor c = x.isContiguous() ? x : contiguous(x);
    Tensor out = alloc(x.dtype(), indexShape.clone());
    int n = out.numel();
    if (n == 0) return out;
    int[] xs = split(shapeOf(x), axis), is = split(indexShape, axis);
    ClBuffer idx = memory.upload(index);
    new Launch(program(x.dtype()), "gather").mem(buf(c, "gather")).i32(offsetOf(c)).mem(idx).i32(xs[1]).i32(is[1]).i32(is[2])
        .mem(buf(out, "gather")).i32(n).run(n);
    return out;
  }

  @Override
  public synchronized Tensor scatterAdd(Tensor src, int axis, int[] index, int[] outShape) {
    ensureOpen();
    buf(src, "scatterAdd");
    Tensor c = src.isContiguous() ? src : contiguous(src);
    Tensor out = alloc(src.dtype(), outShape.clone());
    int nOut = out.numel(), nSrc = c.numel();
    if (nOut == 0) return out;
    int[] os = split(outShape, axis), is = split(shapeOf(src), axis);
    int len = os[1], k2 = is[1], inner = is[2];
    // Group source positions by destination, stably: start[q]..start[q+1] lists the p that add into q.
    int[] start = new int[nOut + 1];
    int[] dst = new int[nSrc];
    for (int p = 0; p < nSrc; p++) {
      int i = p % inner, o = p / inner / k2;
      dst[p] = (o * len + index[p]) * inner + i;
      start[dst[p] + 1]++;
    }
    for (int q = 0; q < nOut; q++) start[q + 1] += start[q];
    int[] fill = Arrays.copyOf(start, nOut);
    int[] perm = new int[nSrc];
    for (int p = 0; p < nSrc; p++) perm[fill[dst[p]]++] = p;
    new Launch(program(src.dtype()), "scatter_add").mem(buf(c, "scatterAdd")).i32(offsetOf(c)).mem(memory.upload(start)).mem(memory.upload(perm))
        .mem(buf(out, "scatterAdd")).i32(nOut).run(nOut);
    return out;
  }

  @Override
  public synchronized Tensor concat(int axis, Tensor[] xs) {
    ensureOpen();
    int[] shape = shapeOf(xs[0]).clone();
    int total = 0;
    for (Tensor x : xs) total += shapeOf(x)[axis];
    shape[axis] = total;
    Tensor out = alloc(xs[0].dtype(), shape);
    ClBuffer ob = buf(out, "concat");
    int[] st = stridesOf(out);
    int at = 0;
    for (Tensor x : xs) {
      copyStrided("concat", x, ob, at * st[axis], st);
      at += shapeOf(x)[axis];
    }
    return out;
  }

  @Override
  public synchronized Tensor pad(Tensor x, int axis, int before, int total) {
    ensureOpen();
    buf(x, "pad");
    int[] shape = shapeOf(x).clone();
    shape[axis] = total;
    Tensor out = alloc(x.dtype(), shape);
    ClBuffer ob = buf(out, "pad");
    fillZero(x.dtype(), ob, out.numel());
    int[] st = stridesOf(out);
    copyStrided("pad", x, ob, before * st[axis], st);
    return out;
  }

  // ------------------------------------------------------------------ convolution

  @Override
  public synchronized Tensor im2col(Tensor x, ConvGeometry g) {
    ensureOpen();
    buf(x, "im2col");
    Tensor c = x.isContiguous() ? x : contiguous(x);
    Tensor out = alloc(x.dtype(), new int[] {g.n(), g.rows(), g.cols()});
    int n = out.numel();
    new Launch(program(x.dtype()), "im2col").mem(buf(c, "im2col")).i32(offsetOf(c)).i32(g.c()).i32(g.h()).i32(g.w()).i32(g.kh()).i32(g.kw())
        .i32(g.stride()).i32(g.pad()).i32(g.oh()).i32(g.ow()).mem(buf(out, "im2col")).i32(n).run(n);
    return out;
  }

  @Override
  public synchronized Tensor col2im(Tensor cols, ConvGeometry g) {
    ensureOpen();
    buf(cols, "col2im");
    Tensor c = cols.isContiguous() ? cols : contiguous(cols);
    Tensor out = alloc(cols.dtype(), new int[] {g.n(), g.c(), g.h(), g.w()});
    int n = out.numel();
    new Launch(program(cols.dtype()), "col2im").mem(buf(c, "col2im")).i32(offsetOf(c)).i32(g.c()).i32(g.h()).i32(g.w()).i32(g.kh()).i32(g.kw())
        .i32(g.stride()).i32(g.pad()).i32(g.oh()).i32(g.ow()).mem(buf(out, "col2im")).i32(n).run(n);
    return out;
  }

  // ------------------------------------------------------------------ optimizer updates

  /** The buffer of a tensor an update overwrites: of this backend, contiguous, of p's dtype and shape. */
  private ClBuffer updated(Tensor x, Tensor p, String what, String op) {
    ClBuffer b = buf(x, op);
    if (x.dtype() != p.dtype() || !Arrays.equals(shapeOf(x), shapeOf(p))) {
      throw new IllegalArgumentException(op + ": " + what + " is " + x.dtype() + Shape.str(shapeOf(x)) + ", the parameter " + p.dtype() + Shape.str(shapeOf(p)));
    }
    if (!x.isContiguous()) throw new IllegalArgumentException(op + ": " + what + " of shape " + Shape.str(shapeOf(x)) + " is not contiguous");
    return b;
  }

  @Override
  public synchronized void sgdStep(Tensor p, Tensor g, Tensor v, double lr, double momentum, double weightDecay, boolean decay, boolean nesterov) {
    ensureOpen();
    Tensor gc = g.isContiguous() ? g : contiguous(g);
    ClBuffer pb = updated(p, p, "the parameter", "sgdStep"), gb = updated(gc, p, "the gradient", "sgdStep");
    ClBuffer vb = v == null ? pb : updated(v, p, "the momentum buffer", "sgdStep");
    DType t = p.dtype();
    int n = p.numel();
    new Launch(program(t), "sgd_step").mem(pb).i32(offsetOf(p)).mem(gb).i32(offsetOf(gc)).mem(vb).i32(v == null ? 0 : offsetOf(v))
        .real(t, lr).real(t, momentum).real(t, weightDecay).i32(decay ? 1 : 0).i32(v == null ? 0 : 1).i32(nesterov ? 1 : 0).i32(n).run(n);
  }

  @Override
  public synchronized void adamStep(Tensor p, Tensor g, Tensor m, Tensor v, double beta1, double c1, double beta2, double c2, double eps,
      double weightDecay, double decay, double stepSize, double bc2Sqrt, boolean l2, boolean decoupled) {
    ensureOpen();
    Tensor gc = g.isContiguous() ? g : contiguous(g);
    ClBuffer pb = updated(p, p, "the parameter", "adamStep"), gb = updated(gc, p, "the gradient", "adamStep");
    ClBuffer mb = updated(m, p, "the first moment", "adamStep"), vb = updated(v, p, "the second moment", "adamStep");
    DType t = p.dtype();
    int n = p.numel();
    new Launch(program(t), "adam_step").mem(pb).i32(offsetOf(p)).mem(gb).i32(offsetOf(gc)).mem(mb).i32(offsetOf(m)).mem(vb).i32(offsetOf(v))
        .real(t, beta1).real(t, c1).real(t, beta2).real(t, c2).real(t, eps).real(t, weightDecay).real(t, decay).real(t, stepSize).real(t, bc2Sqrt)
        .i32(l2 ? 1 : 0).i32(decoupled ? 1 : 0).i32(n).run(n);
  }

  @Override
  public String toString() {
    return name();
  }
}
