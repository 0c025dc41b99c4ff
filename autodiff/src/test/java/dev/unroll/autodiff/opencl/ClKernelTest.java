package dev.unroll.autodiff.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.BinaryOp;
import dev.unroll.autodiff.ConvGeometry;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.UnaryOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each kernel of the OpenCL backend against the scalar CPU backend (the reference), in float32 and
 * float64: exactly where the backend promises bit-identical results (GEMM, copies, indexing,
 * convolution layout, the exact elementwise ops), within stated tolerances for the device's math
 * library and for tree reductions.
 */
class ClKernelTest {
  static final Backend REF = Backends.SCALAR;
  /** Special values every elementwise op sees. */
  static final double[] SPECIAL = {0.0, -0.0, 1, -1, 0.5, -2.5, 3, 20, -20, 100, -100, 1e-3,
      Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN};
  /** Ops that involve no rounding beyond that of the result: the device must match exactly. */
  static final Set<UnaryOp> EXACT_UNARY = EnumSet.of(UnaryOp.NEG, UnaryOp.RELU, UnaryOp.ABS, UnaryOp.SIGN, UnaryOp.STEP);
  static final Set<BinaryOp> EXACT_BINARY = EnumSet.of(BinaryOp.ADD, BinaryOp.SUB, BinaryOp.MUL, BinaryOp.MAX, BinaryOp.MIN, BinaryOp.EQ, BinaryOp.GT);

  static Tensor rand(Rng r, DType t, int... shape) {
    return Tensor.randn(r, t, shape);
  }

  /** Runs {@code f} on the CPU reference and on the device (inputs moved there) and returns both results as doubles. */
  static double[][] both(ClBackend cl, List<Tensor> cpuInputs, Function<List<Tensor>, Tensor> f) {
    double[] ref = Backends.withCpu(REF, () -> f.apply(cpuInputs).toDoubleArray());
    List<Tensor> dev = new ArrayList<>();
    for (Tensor x : cpuInputs) dev.add(cl.fromCpu(x));
    Tensor y = f.apply(dev);
    assertTrue(y.backend() == cl, "result left the device: " + y.backend().name());
    return new double[][] {ref, y.toDoubleArray()};
  }

  static void assertBitEqual(double[] want, double[] got, String what) {
    assertEquals(want.length, got.length, what + ": length");
    for (int i = 0; i < want.length; i++) {
      if (Double.doubleToRawLongBits(want[i]) != Double.doubleToRawLongBits(got[i]) && !(Double.isNaN(want[i]) && Double.isNaN(got[i]))) {
        throw new AssertionError(what + ": element " + i + " is " + got[i] + ", reference " + want[i]);
      }
    }
  }

  /** |got − want| ≤ tol·max(1, |want|) elementwise; NaN and infinities must match. */
  static void assertClose(double[] want, double[] got, double tol, String what) {
    assertEquals(want.length, got.length, what + ": length");
    for (int i = 0; i < want.length; i++) {
      double w = want[i], g = got[i];
      if (Double.isNaN(w) || Double.isInfinite(w)) {
        assertTrue(Double.isNaN(w) ? Double.isNaN(g) : w == g, what + ": element " + i + " is " + g + ", reference " + w);
        continue;
      }
      assertTrue(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)), what + ": element " + i + " is " + g + ", reference " + w + " (tolerance " + tol + ")");
    }
  }

  /** The values, in dtype t: the special values, then random ones in [−6, 6]. */
  static Tensor values(DType t, long seed, int randomCount) {
    Rng r = new Rng(seed);
    double[] v = new double[SPECIAL.length + randomCount];
    System.arraycopy(SPECIAL, 0, v, 0, SPECIAL.length);
    for (int i = SPECIAL.length; i < v.length; i++) v[i] = 12 * r.uniform() - 6;
    return Tensor.of(t, v, v.length);
  }

  // ------------------------------------------------------------------ elementwise

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void everyUnaryOpMatchesTheReference(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    Tensor x = values(t, 1, 300);
    for (UnaryOp op : UnaryOp.values()) {
      double[][] r = both(cl, List.of(x), in -> in.get(0).backend().isCpu() ? Backends.cpu().unary(op, in.get(0)) : cl.unary(op, in.get(0)));
      if (EXACT_UNARY.contains(op)) assertBitEqual(r[0], r[1], op + " " + t);
      // float64: a few ulp of the device's libm; float32: OpenCL's bounds (≤ 4 ulp for these maps) plus the reference's single rounding.
      else assertClose(r[0], r[1], t == DType.F64 ? 1e-14 : 1e-6, op + " " + t);
    }
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void everyBinaryOpMatchesTheReferenceOnAllPairsOfSpecialValues(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    int n = SPECIAL.length;
    // a along rows, b along columns: broadcasting gives every pair.
    Tensor a = Tensor.of(t, SPECIAL, n, 1), b = Tensor.of(t, SPECIAL, 1, n);
    Tensor ra = values(t, 2, 200), rb = values(t, 3, 200);
    for (BinaryOp op : BinaryOp.values()) {
      double[][] pairs = both(cl, List.of(a, b), in -> backendOf(in.get(0), cl).binary(op, in.get(0), in.get(1)));
      double[][] random = both(cl, List.of(ra, rb), in -> backendOf(in.get(0), cl).binary(op, in.get(0), in.get(1)));
      boolean exact = EXACT_BINARY.contains(op) || (op == BinaryOp.DIV && (t == DType.F64 || cl.device().correctlyRoundedDivSqrt()));
      // pow: float64 within a few ulp; float32 within OpenCL's 16 ulp.
      double tol = op == BinaryOp.POW ? (t == DType.F64 ? 1e-14 : 2e-6) : 3e-7;
      for (double[][] r : List.of(pairs, random)) {
        if (exact) assertBitEqual(r[0], r[1], op + " " + t);
        else assertClose(r[0], r[1], tol, op + " " + t);
      }
    }
  }

  static Backend backendOf(Tensor x, ClBackend cl) {
    return x.backend().isCpu() ? Backends.cpu() : cl;
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void broadcastingAndViewsGiveTheReferenceResults(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    Rng r = new Rng(4);
    Tensor a = rand(r, t, 4, 3, 5), b = rand(r, t, 5, 3), c = rand(r, t, 3, 1);
    // Permuted, sliced and expanded operands; a rank-1 bias; a scalar.
    double[][] z = both(cl, List.of(a, b, c), in -> in.get(0).permute(2, 1, 0).slice(2, 1, 3).mul(in.get(1).reshape(5, 3, 1))
        .add(in.get(2).reshape(3, 1).expand(3, 2)).sub(in.get(0).constant(0.25)).div(in.get(1).slice(0, 0, 1).reshape(1, 3, 1).abs().add(1)));
    if (t == DType.F64 || cl.device().correctlyRoundedDivSqrt()) assertBitEqual(z[0], z[1], "views " + t);
    else assertClose(z[0], z[1], 3e-7, "views " + t);
    double[] m = new double[15];
    for (int i = 0; i < m.length; i++) m[i] = (i * 7) % 3 == 0 ? 1 : 0;
    Tensor mask = Tensor.of(t, m, 3, 1, 5);
    double[][] w = both(cl, List.of(mask, a, b), in -> Ops.where(in.get(0), in.get(1).slice(0, 1, 4).permute(1, 0, 2), in.get(2).slice(1, 2, 3).reshape(5)));
    assertBitEqual(w[0], w[1], "where " + t);
  }

  // ------------------------------------------------------------------ copies and casts

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void contiguousCopiesCastsAndCopyFromAreExact(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    Rng r = new Rng(5);
    Tensor a = rand(r, t, 3, 4, 5);
    double[][] p = both(cl, List.of(a), in -> in.get(0).permute(2, 0, 1).slice(1, 1, 3).contiguous());
    assertBitEqual(p[0], p[1], "contiguous of a permuted slice");
    double[][] e = both(cl, List.of(a), in -> in.get(0).slice(2, 0, 1).expand(3, 4, 6).contiguous());
    assertBitEqual(e[0], e[1], "contiguous of an expanded view");
    if (cl.supportsFloat64()) {
      DType other = t == DType.F64 ? DType.F32 : DType.F64;
      double[][] c = both(cl, List.of(a), in -> in.get(0).t().to(other));
      assertBitEqual(c[0], c[1], "cast " + t + " to " + other);
    }
    // copyFrom: from a CPU tensor (a host write) and from a device view (a device copy).
    Tensor dst = cl.fromCpu(Tensor.zeros(t, 4, 3));
    dst.copyFrom(a.slice(2, 2, 3).reshape(3, 4).t());
    assertBitEqual(a.slice(2, 2, 3).reshape(3, 4).t().toDoubleArray(), dst.toDoubleArray(), "copyFrom a CPU view");
    dst.copyFrom(cl.fromCpu(a).slice(2, 4, 5).reshape(3, 4).t());
    assertBitEqual(a.slice(2, 4, 5).reshape(3, 4).t().toDoubleArray(), dst.toDoubleArray(), "copyFrom a device view");
    // A view's toCpu reads only its own elements.
    Tensor onDevice = cl.fromCpu(a);
    assertBitEqual(a.slice(0, 1, 2).toDoubleArray(), onDevice.slice(0, 1, 2).toDoubleArray(), "toCpu of a slice");
    assertEquals(a.get(2, 3, 4), onDevice.get(2, 3, 4), "get");
    // The SIMD kernels sum in another order than the scalar reference: equal to rounding.
    double ref = Backends.withCpu(REF, () -> a.sum().item());
    assertEquals(ref, a.sum().item(), (t == DType.F64 ? 1e-13 : 1e-5) * Math.max(1, Math.abs(ref)));
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void concatAndPadAreExact(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    Rng r = new Rng(6);
    Tensor a = rand(r, t, 2, 3, 4), b = rand(r, t, 2, 1, 4);
    for (int axis = 0; axis < 3; axis++) {
      int ax = axis;
      double[][] c = both(cl, List.of(a), in -> Ops.concat(ax, in.get(0), in.get(0).neg(), in.get(0).t().t()));
      assertBitEqual(c[0], c[1], "concat along " + ax);
      double[][] p = both(cl, List.of(a), in -> Ops.pad(in.get(0).permute(2, 1, 0).contiguous().permute(2, 1, 0), ax, 1, a.dim(ax) + 3));
      assertBitEqual(p[0], p[1], "pad along " + ax);
    }
    double[][] c = both(cl, List.of(a, b), in -> Ops.concat(1, in.get(1), in.get(0), in.get(1)));
    assertBitEqual(c[0], c[1], "concat of different lengths");
  }

  // ------------------------------------------------------------------ reductions

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void reductionsOverEveryAxisSetMatchTheReference(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    Rng r = new Rng(7);
    Tensor a = rand(r, t, 3, 4, 5);
    double tol = t == DType.F64 ? 1e-14 : 1e-6;
    for (int mask = 1; mask < 8; mask++) {
      int bits = mask;
      int[] axes = java.util.stream.IntStream.range(0, 3).filter(i -> (bits & (1 << i)) != 0).toArray();
      for (BinaryOp op : List.of(BinaryOp.ADD, BinaryOp.MAX)) {
        double[][] z = both(cl, List.of(a), in -> backendOf(in.get(0), cl).reduce(op, in.get(0), axes));
        // Short rows are reduced in index order; sums may still differ in the last bits where
        // the reference accumulates leading axes in another order.
        if (op == BinaryOp.MAX) assertBitEqual(z[0], z[1], "max over " + Arrays.toString(axes));
        else assertClose(z[0], z[1], tol * 20, "sum over " + Arrays.toString(axes));
        double[][] v = both(cl, List.of(a), in -> backendOf(in.get(0), cl).reduce(op, in.get(0).permute(1, 2, 0), axes));
        if (op == BinaryOp.MAX) assertBitEqual(v[0], v[1], "max of a view over " + Arrays.toString(axes));
        else assertClose(v[0], v[1], tol * 20, "sum of a view over " + Arrays.toString(axes));
      }
    }
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void longReductionsAreAccurateAndRepeatBitForBit(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    Rng r = new Rng(8);
    // Tree path with one group per row, split rows (few rows), leading-axis columns.
    for (int[] shape : new int[][] {{300, 1000}, {3, 100_000}, {1, 250_001}, {2000, 7}}) {
      Tensor a = rand(r, t, shape);
      int[] axes = shape[1] == 7 ? new int[] {0} : new int[] {1};
      double[] abs = Backends.withCpu(REF, () -> Backends.cpu().reduce(BinaryOp.ADD, Backends.cpu().unary(UnaryOp.ABS, a), axes).toDoubleArray());
      Tensor d = cl.fromCpu(a);
      double[] sum1 = cl.reduce(BinaryOp.ADD, d, axes).toDoubleArray(), sum2 = cl.reduce(BinaryOp.ADD, d, axes).toDoubleArray();
      assertBitEqual(sum1, sum2, "a repeated sum over " + Arrays.toString(shape));
      double[] want = Backends.withCpu(REF, () -> Backends.cpu().reduce(BinaryOp.ADD, a, axes).toDoubleArray());
      // Error bound of summation: n·ε·Σ|x|; both orders are within it of the exact sum.
      int n = a.numel() / want.length;
      double eps = t == DType.F64 ? 0x1p-53 : 0x1p-24;
      for (int i = 0; i < want.length; i++) {
        assertTrue(Math.abs(sum1[i] - want[i]) <= 2 * n * eps * abs[i], "sum " + i + " of " + Arrays.toString(shape) + ": " + sum1[i] + " vs " + want[i]);
      }
      double[] max = cl.reduce(BinaryOp.MAX, d, axes).toDoubleArray();
      assertBitEqual(Backends.withCpu(REF, () -> Backends.cpu().reduce(BinaryOp.MAX, a, axes).toDoubleArray()), max, "max over " + Arrays.toString(shape));
    }
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void maxPropagatesNaNLikeTheReference(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    double[] v = new double[3 * 500];
    for (int i = 0; i < v.length; i++) v[i] = i % 17;
    v[700] = Double.NaN;
    Tensor a = Tensor.of(t, v, 3, 500);
    double[] got = cl.reduce(BinaryOp.MAX, cl.fromCpu(a), new int[] {1}).toDoubleArray();
    assertEquals(16.0, got[0]);
    assertTrue(Double.isNaN(got[1]), "NaN in row 1 must give NaN, got " + got[1]);
    assertEquals(16.0, got[2]);
  }

  // ------------------------------------------------------------------ matrix product

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void matmulIsBitIdenticalToTheScalarReference(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    forEachGemmKernel(cl, () -> products(cl, t));
  }

  /** Runs the body with each GEMM kernel in turn (both must give the reference's bits), then restores the default. */
  static void forEachGemmKernel(ClBackend cl, Runnable body) {
    ClBackend.GemmKernel before = cl.gemmKernel();
    try {
      for (ClBackend.GemmKernel k : ClBackend.GemmKernel.values()) {
        cl.gemmKernel(k);
        try {
          body.run();
        } catch (AssertionError e) {
          throw new AssertionError("GEMM kernel " + k + ": " + e.getMessage(), e);
        }
      }
    } finally {
      cl.gemmKernel(before);
    }
  }

  private static void products(ClBackend cl, DType t) {
    Rng r = new Rng(9);
    // Sizes below, at and across the 32×32 tile and the 16-deep k-step.
    int[][] mkn = {{1, 1, 1}, {3, 4, 5}, {33, 17, 65}, {64, 64, 64}, {70, 100, 45}, {5, 0, 3}};
    for (int[] s : mkn) {
      Tensor a = rand(r, t, s[0], s[1]), b = rand(r, t, s[1], s[2]);
      Tensor at = rand(r, t, s[1], s[0]), bt = rand(r, t, s[2], s[1]);
      String what = t + " " + Arrays.toString(s);
      double[][] z = both(cl, List.of(a, b), in -> in.get(0).matmul(in.get(1)));
      assertBitEqual(z[0], z[1], "A·B " + what);
      z = both(cl, List.of(at, b), in -> in.get(0).t().matmul(in.get(1)));
      assertBitEqual(z[0], z[1], "Aᵀ·B " + what);
      z = both(cl, List.of(a, bt), in -> in.get(0).matmul(in.get(1).t()));
      assertBitEqual(z[0], z[1], "A·Bᵀ " + what);
      z = both(cl, List.of(at, bt), in -> in.get(0).t().matmul(in.get(1).t()));
      assertBitEqual(z[0], z[1], "Aᵀ·Bᵀ " + what);
    }
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void batchedMatmulBroadcastsLikeTheReference(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    forEachGemmKernel(cl, () -> batchedProducts(cl, t));
  }

  private static void batchedProducts(ClBackend cl, DType t) {
    Rng r = new Rng(10);
    Tensor a = rand(r, t, 2, 3, 7, 9), b = rand(r, t, 3, 9, 5), c = rand(r, t, 9, 5), d = rand(r, t, 2, 1, 5, 9);
    double[][] z = both(cl, List.of(a, b), in -> in.get(0).matmul(in.get(1)));
    assertBitEqual(z[0], z[1], "[2,3,7,9]·[3,9,5]");
    z = both(cl, List.of(a, c), in -> in.get(0).matmul(in.get(1)));
    assertBitEqual(z[0], z[1], "[2,3,7,9]·[9,5] (batch folded into rows)");
    z = both(cl, List.of(a, c), in -> in.get(0).permute(1, 0, 2, 3).matmul(in.get(1)));
    assertBitEqual(z[0], z[1], "permuted batch · matrix");
    z = both(cl, List.of(a, d), in -> in.get(0).matmul(in.get(1).transpose(-1, -2)));
    assertBitEqual(z[0], z[1], "[2,3,7,9]·[2,1,9,5]ᵀ");
    // Operands broadcast inside the matrix (stride 0 along rows or columns), against the product
    // of the materialised operand on the CPU.
    Tensor row = rand(r, t, 1, 9), col = rand(r, t, 7, 1);
    for (Tensor v : List.of(row, col)) {
      double[] want = Backends.withCpu(REF, () -> v.expand(7, 9).contiguous().matmul(c).toDoubleArray());
      assertBitEqual(want, cl.fromCpu(v).expand(7, 9).matmul(cl.fromCpu(c)).toDoubleArray(), "expanded " + Arrays.toString(v.shape()) + " · B");
    }
  }

  // ------------------------------------------------------------------ indexing and convolution

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void gatherAndScatterAddAreExact(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    Rng r = new Rng(11);
    Tensor a = rand(r, t, 4, 5, 3);
    for (int axis = 0; axis < 3; axis++) {
      int[] ishape = a.shape();
      ishape[axis] = 7;
      int len = a.dim(axis);
      int[] index = new int[ishape[0] * ishape[1] * ishape[2]];
      // Repeated indices, so that scatter-add sums several values into one place.
      for (int i = 0; i < index.length; i++) index[i] = (int) (r.uniform() * len) % len;
      int ax = axis;
      double[][] g = both(cl, List.of(a), in -> Ops.gather(in.get(0).permute(0, 1, 2), ax, index, ishape));
      assertBitEqual(g[0], g[1], "gather along " + ax);
      Tensor src = rand(r, t, ishape);
      int[] shape = a.shape();
      double[][] s = both(cl, List.of(src), in -> Ops.scatterAdd(in.get(0), ax, index, shape));
      assertBitEqual(s[0], s[1], "scatterAdd along " + ax);
    }
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void im2colAndCol2imAreExact(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    Rng r = new Rng(12);
    ConvGeometry[] geos = {new ConvGeometry(2, 3, 7, 6, 3, 3, 1, 1), new ConvGeometry(2, 2, 5, 4, 3, 2, 2, 1),
        new ConvGeometry(1, 4, 5, 5, 1, 1, 1, 0), new ConvGeometry(3, 1, 8, 8, 4, 4, 3, 2)};
    for (ConvGeometry g : geos) {
      Tensor x = rand(r, t, g.n(), g.c(), g.h(), g.w());
      double[][] cols = both(cl, List.of(x), in -> Ops.im2col(in.get(0), g));
      assertBitEqual(cols[0], cols[1], "im2col " + g);
      Tensor c = rand(r, t, g.n(), g.rows(), g.cols());
      double[][] img = both(cl, List.of(c), in -> Ops.col2im(in.get(0), g));
      assertBitEqual(img[0], img[1], "col2im " + g);
    }
  }

  // ------------------------------------------------------------------ edges

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indicesAndTypes")
  void emptyTensorsWork(Integer device, DType t) {
    ClBackend cl = ClTestDevices.backend(device);
    Tensor e = cl.fromCpu(Tensor.zeros(t, 0, 3));
    assertArrayEquals(new int[] {0, 3}, e.exp().add(e).shape());
    assertArrayEquals(new int[] {0, 2}, e.matmul(cl.fromCpu(Tensor.ones(t, 3, 2))).shape());
    assertEquals(0, e.toDoubleArray().length);
    Tensor one = cl.fromCpu(Tensor.ones(t, 2, 3));
    assertArrayEquals(new double[] {1, 1, 1, 1, 1, 1}, Ops.concat(0, e, one, e).toDoubleArray());
    IllegalArgumentException err = assertThrows(IllegalArgumentException.class, () -> cl.reduce(BinaryOp.ADD, e, new int[] {0}));
    assertTrue(err.getMessage().contains("empty"), err.getMessage());
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indices")
  void mixingDevicesOrTooManyAxesIsAClearError(Integer device) {
    ClBackend cl = ClTestDevices.backend(device);
    Tensor cpu = Tensor.ones(DType.F32, 2, 2);
    Tensor dev = cl.fromCpu(cpu);
    IllegalArgumentException mix = assertThrows(IllegalArgumentException.class, () -> cpu.add(dev));
    assertTrue(mix.getMessage().contains("different devices") && mix.getMessage().contains(cl.name()), mix.getMessage());
    // Nine axes of size 2 whose strides cannot be merged (reversed order).
    int[] shape = new int[9];
    Arrays.fill(shape, 2);
    int[] rev = {8, 7, 6, 5, 4, 3, 2, 1, 0};
    Tensor big = cl.fromCpu(Tensor.zeros(DType.F32, shape)).permute(rev);
    IllegalArgumentException rank = assertThrows(IllegalArgumentException.class, () -> big.exp());
    assertTrue(rank.getMessage().contains("axes") && rank.getMessage().contains("EXP"), rank.getMessage());
  }

  @ParameterizedTest
  @MethodSource("dev.unroll.autodiff.opencl.ClTestDevices#indices")
  void concurrentUseGivesTheSequentialResultsBitForBit(Integer device) throws Exception {
    ClBackend cl = ClTestDevices.backend(device);
    Rng r = new Rng(13);
    Tensor a = rand(r, DType.F32, 40, 50), b = rand(r, DType.F32, 50, 30);
    Function<Integer, double[]> work = k -> cl.fromCpu(a).mul(k + 1).matmul(cl.fromCpu(b)).tanh().sum(0).toDoubleArray();
    List<double[]> sequential = new ArrayList<>();
    for (int k = 0; k < 8; k++) sequential.add(work.apply(k));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<double[]>> results = new ArrayList<>();
      for (int rep = 0; rep < 3; rep++) for (int k = 0; k < 8; k++) {
        int kk = k;
        results.add(pool.submit(() -> work.apply(kk)));
      }
      for (int i = 0; i < results.size(); i++) assertBitEqual(sequential.get(i % 8), results.get(i).get(), "task " + i + " run concurrently");
    } finally {
      pool.shutdown();
    }
  }
}
