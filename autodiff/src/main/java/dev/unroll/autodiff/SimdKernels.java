package dev.unroll.autodiff;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels: the semantics of {@link ScalarKernels}, vectorized.
 *
 * <ul>
 *   <li>Elementwise runs with unit stride (or stride 0, a broadcast scalar) run on vectors with a
 *       scalar tail; other strides fall back to the scalar loops. Exact operations (negation,
 *       |x|, √x, ReLU, sign, step, + − × ÷, max, min, comparisons) give the reference's bits.</li>
 *   <li>exp, log, tanh and sigmoid use {@link VMath32}/{@link VMath64}: within about 2 ulp of the
 *       reference and the same bits whatever the position of an element in its run (tails and
 *       strided runs go through the same vector code). log1p, expm1 and pow use the scalar loops.</li>
 *   <li>sum and max use several vector accumulators; a sum is therefore added in a different (fixed)
 *       order than the reference's left-to-right one.</li>
 *   <li>GEMM is {@link SimdGemm} (packed, blocked, multi-threaded).</li>
 * </ul>
 *
 * All results are deterministic: no reduction depends on timing, thread count or JIT state.
 */
public final class SimdKernels implements CpuKernels {
  private SimdKernels() {}

  public static final CpuKernels INSTANCE = new SimdKernels();

  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
  private static final int LF = F.length();
  private static final int LD = D.length();
  /** Elements gathered per step when a strided run goes through the vector math. */
  private static final int CHUNK = 256;

  /** Per-thread staging: gathered inputs, outputs, scratch of the vector math, a broadcast operand. */
  private static final class Buffers {
    final float[] fx = new float[CHUNK], fy = new float[CHUNK], ft = new float[CHUNK], fb = new float[CHUNK];
    final double[] dx = new double[CHUNK], dy = new double[CHUNK], dt = new double[CHUNK], db = new double[CHUNK];
  }

  private static final ThreadLocal<Buffers> BUFFERS = ThreadLocal.withInitial(Buffers::new);

  @Override
  public String name() {
    return "simd";
  }

  // ------------------------------------------------------------------ unary
  //
  // Each operation has its own loop, with the switch outside it: a vector must never be passed to
  // or returned from a call the JIT might not inline, or it is boxed on the heap.

  private static boolean isExact(UnaryOp op) {
    return switch (op) {
      case NEG, ABS, SQRT, RELU, SIGN, STEP -> true;
      default -> false;
    };
  }

  private static boolean isVectorMath(UnaryOp op) {
    return switch (op) {
      case EXP, LOG, TANH, SIGMOID -> true;
      default -> false;
    };
  }

  @Override
  public void unary(UnaryOp op, float[] x, int xOff, int xs, float[] y, int yOff, int n) {
    if (n <= 0) return;
    if (isExact(op)) {
      if (xs != 1 || n < LF) {
        ScalarKernels.unary(op, x, xOff, xs, y, yOff, n);
        return;
      }
      int whole = n - n % LF;
      exact(op, x, xOff, y, yOff, whole);
      for (int i = whole; i < n; i++) y[yOff + i] = op.apply(x[xOff + i]);
      return;
    }
    if (!isVectorMath(op)) {
      ScalarKernels.unary(op, x, xOff, xs, y, yOff, n);
      return;
    }
    Buffers b = BUFFERS.get();
    if (xs == 1) {
      int whole = n - n % LF;
      for (int i = 0; i < whole; i += CHUNK) math(op, x, xOff + i, y, yOff + i, Math.min(CHUNK, whole - i), b.ft);
      if (whole < n) staged(op, x, xOff + whole, 1, y, yOff + whole, n - whole, b);
    } else if (xs == 0) {
      // One value for the whole run, computed by the same vector code as any other element.
      staged(op, x, xOff, 0, b.fy, 0, 1, b);
      java.util.Arrays.fill(y, yOff, yOff + n, b.fy[0]);
    } else {
      for (int i = 0; i < n; i += CHUNK) staged(op, x, xOff + i * xs, xs, y, yOff + i, Math.min(CHUNK, n - i), b);
    }
  }

  /** Gathers n ≤ CHUNK strided elements, maps them as whole vectors (zero padded), writes y. */
  private static void staged(UnaryOp op, float[] x, int xOff, int xs, float[] y, int yOff, int n, Buffers b) {
    for (int i = 0; i < n; i++) b.fx[i] = x[xOff + i * xs];
    int padded = (n + LF - 1) / LF * LF;
    java.util.Arrays.fill(b.fx, n, padded, 0f);
    math(op, b.fx, 0, b.fy, 0, padded, b.ft);
    System.arraycopy(b.fy, 0, y, yOff, n);
  }

  /** The vector math on n ≤ CHUNK elements, n a multiple of the vector length. */
  private static void math(UnaryOp op, float[] x, int xOff, float[] y, int yOff, int n, float[] t) {
    switch (op) {
      case EXP -> VMath32.exp(x, xOff, y, yOff, n);
      case LOG -> VMath32.log(x, xOff, y, yOff, n);
      case TANH -> VMath32.tanh(x, xOff, y, yOff, n, t);
      case SIGMOID -> VMath32.sigmoid(x, xOff, y, yOff, n, t);
      default -> throw new IllegalStateException("no vector math for " + op);
    }
  }

  /** The exact maps on n elements, n a multiple of the vector length. */
  private static void exact(UnaryOp op, float[] x, int xo, float[] y, int yo, int n) {
    switch (op) {
      case NEG -> {
        for (int i = 0; i < n; i += LF) FloatVector.fromArray(F, x, xo + i).neg().intoArray(y, yo + i);
      }
      case ABS -> {
        for (int i = 0; i < n; i += LF) FloatVector.fromArray(F, x, xo + i).abs().intoArray(y, yo + i);
      }
      case SQRT -> {
        for (int i = 0; i < n; i += LF) FloatVector.fromArray(F, x, xo + i).sqrt().intoArray(y, yo + i);
      }
      case RELU -> {
        // x > 0 ? x : 0, so NaN maps to 0 as in the reference.
        FloatVector zero = FloatVector.zero(F);
        for (int i = 0; i < n; i += LF) {
          FloatVector v = FloatVector.fromArray(F, x, xo + i);
          zero.blend(v, v.compare(VectorOperators.GT, 0f)).intoArray(y, yo + i);
        }
      }
      case SIGN -> {
        // ±0 and NaN map to themselves, as Math.signum does.
        for (int i = 0; i < n; i += LF) {
          FloatVector v = FloatVector.fromArray(F, x, xo + i);
          v.blend(1f, v.compare(VectorOperators.GT, 0f)).blend(-1f, v.compare(VectorOperators.LT, 0f)).intoArray(y, yo + i);
        }
      }
      case STEP -> {
        FloatVector zero = FloatVector.zero(F);
        for (int i = 0; i < n; i += LF) {
          FloatVector v = FloatVector.fromArray(F, x, xo + i);
          zero.blend(1f, v.compare(VectorOperators.GT, 0f)).intoArray(y, yo + i);
        }
      }
      default -> throw new IllegalStateException("not an exact vector map: " + op);
    }
  }

  @Override
  public void unary(UnaryOp op, double[] x, int xOff, int xs, double[] y, int yOff, int n) {
    if (n <= 0) return;
    if (isExact(op)) {
      if (xs != 1 || n < LD) {
        ScalarKernels.unary(op, x, xOff, xs, y, yOff, n);
        return;
      }
      int whole = n - n % LD;
      exact(op, x, xOff, y, yOff, whole);
      for (int i = whole; i < n; i++) y[yOff + i] = op.apply(x[xOff + i]);
      return;
    }
    if (!isVectorMath(op)) {
      ScalarKernels.unary(op, x, xOff, xs, y, yOff, n);
      return;
    }
    Buffers b = BUFFERS.get();
    if (xs == 1) {
      int whole = n - n % LD;
      for (int i = 0; i < whole; i += CHUNK) math(op, x, xOff + i, y, yOff + i, Math.min(CHUNK, whole - i), b.dt);
      if (whole < n) staged(op, x, xOff + whole, 1, y, yOff + whole, n - whole, b);
    } else if (xs == 0) {
      staged(op, x, xOff, 0, b.dy, 0, 1, b);
      java.util.Arrays.fill(y, yOff, yOff + n, b.dy[0]);
    } else {
      for (int i = 0; i < n; i += CHUNK) staged(op, x, xOff + i * xs, xs, y, yOff + i, Math.min(CHUNK, n - i), b);
    }
  }

  private static void staged(UnaryOp op, double[] x, int xOff, int xs, double[] y, int yOff, int n, Buffers b) {
    for (int i = 0; i < n; i++) b.dx[i] = x[xOff + i * xs];
    int padded = (n + LD - 1) / LD * LD;
    java.util.Arrays.fill(b.dx, n, padded, 0.0);
    math(op, b.dx, 0, b.dy, 0, padded, b.dt);
    System.arraycopy(b.dy, 0, y, yOff, n);
  }

  private static void math(UnaryOp op, double[] x, int xOff, double[] y, int yOff, int n, double[] t) {
    switch (op) {
      case EXP -> VMath64.exp(x, xOff, y, yOff, n);
      case LOG -> VMath64.log(x, xOff, y, yOff, n);
      case TANH -> VMath64.tanh(x, xOff, y, yOff, n, t);
      case SIGMOID -> VMath64.sigmoid(x, xOff, y, yOff, n, t);
      default -> throw new IllegalStateException("no vector math for " + op);
    }
  }

  private static void exact(UnaryOp op, double[] x, int xo, double[] y, int yo, int n) {
    switch (op) {
      case NEG -> {
        for (int i = 0; i < n; i += LD) DoubleVector.fromArray(D, x, xo + i).neg().intoArray(y, yo + i);
      }
      case ABS -> {
        for (int i = 0; i < n; i += LD) DoubleVector.fromArray(D, x, xo + i).abs().intoArray(y, yo + i);
      }
      case SQRT -> {
        for (int i = 0; i < n; i += LD) DoubleVector.fromArray(D, x, xo + i).sqrt().intoArray(y, yo + i);
      }
      case RELU -> {
        DoubleVector zero = DoubleVector.zero(D);
        for (int i = 0; i < n; i += LD) {
          DoubleVector v = DoubleVector.fromArray(D, x, xo + i);
          zero.blend(v, v.compare(VectorOperators.GT, 0.0)).intoArray(y, yo + i);
        }
      }
      case SIGN -> {
        for (int i = 0; i < n; i += LD) {
          DoubleVector v = DoubleVector.fromArray(D, x, xo + i);
          v.blend(1.0, v.compare(VectorOperators.GT, 0.0)).blend(-1.0, v.compare(VectorOperators.LT, 0.0)).intoArray(y, yo + i);
        }
      }
      case STEP -> {
        DoubleVector zero = DoubleVector.zero(D);
        for (int i = 0; i < n; i += LD) {
          DoubleVector v = DoubleVector.fromArray(D, x, xo + i);
          zero.blend(1.0, v.compare(VectorOperators.GT, 0.0)).intoArray(y, yo + i);
        }
      }
      default -> throw new IllegalStateException("not an exact vector map: " + op);
    }
  }

  // ------------------------------------------------------------------ binary

  @Override
  public void binary(BinaryOp op, float[] a, int aOff, int as, float[] b, int bOff, int bs, float[] z, int zOff, int n) {
    if (n < LF || op == BinaryOp.POW || (as | bs) >>> 1 != 0) {
      ScalarKernels.binary(op, a, aOff, as, b, bOff, bs, z, zOff, n);
      return;
    }
    if ((as | bs) == 0) {
      java.util.Arrays.fill(z, zOff, zOff + n, op.apply(a[aOff], b[bOff]));
      return;
    }
    int whole = n - n % LF;
    if (as == 1 && bs == 1) {
      binary(op, a, aOff, b, bOff, z, zOff, whole);
    } else {
      // A broadcast scalar operand: replicate it once and run the unit-stride loop in chunks.
      float[] rep = BUFFERS.get().fb;
      java.util.Arrays.fill(rep, 0, Math.min(CHUNK, whole), as == 0 ? a[aOff] : b[bOff]);
      for (int i = 0; i < whole; i += CHUNK) {
        int len = Math.min(CHUNK, whole - i);
        if (as == 0) binary(op, rep, 0, b, bOff + i, z, zOff + i, len);
        else binary(op, a, aOff + i, rep, 0, z, zOff + i, len);
      }
    }
    for (int i = whole; i < n; i++) z[zOff + i] = op.apply(a[aOff + i * as], b[bOff + i * bs]);
  }

  /** z = op(a, b) on n unit-stride elements, n a multiple of the vector length. */
  private static void binary(BinaryOp op, float[] a, int ao, float[] b, int bo, float[] z, int zo, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i += LF) FloatVector.fromArray(F, a, ao + i).add(FloatVector.fromArray(F, b, bo + i)).intoArray(z, zo + i);
      }
      case SUB -> {
        for (int i = 0; i < n; i += LF) FloatVector.fromArray(F, a, ao + i).sub(FloatVector.fromArray(F, b, bo + i)).intoArray(z, zo + i);
      }
      case MUL -> {
        for (int i = 0; i < n; i += LF) FloatVector.fromArray(F, a, ao + i).mul(FloatVector.fromArray(F, b, bo + i)).intoArray(z, zo + i);
      }
      case DIV -> {
        for (int i = 0; i < n; i += LF) FloatVector.fromArray(F, a, ao + i).div(FloatVector.fromArray(F, b, bo + i)).intoArray(z, zo + i);
      }
      case MAX -> {
        for (int i = 0; i < n; i += LF) FloatVector.fromArray(F, a, ao + i).max(FloatVector.fromArray(F, b, bo + i)).intoArray(z, zo + i);
      }
      case MIN -> {
        for (int i = 0; i < n; i += LF) FloatVector.fromArray(F, a, ao + i).min(FloatVector.fromArray(F, b, bo + i)).intoArray(z, zo + i);
      }
      case EQ -> {
        FloatVector zero = FloatVector.zero(F);
        for (int i = 0; i < n; i += LF) {
          zero.blend(1f, FloatVector.fromArray(F, a, ao + i).compare(VectorOperators.EQ, FloatVector.fromArray(F, b, bo + i))).intoArray(z, zo + i);
        }
      }
      case GT -> {
        FloatVector zero = FloatVector.zero(F);
        for (int i = 0; i < n; i += LF) {
          zero.blend(1f, FloatVector.fromArray(F, a, ao + i).compare(VectorOperators.GT, FloatVector.fromArray(F, b, bo + i))).intoArray(z, zo + i);
        }
      }
      default -> throw new IllegalStateException("no vector form for " + op);
    }
  }

  @Override
  public void binary(BinaryOp op, double[] a, int aOff, int as, double[] b, int bOff, int bs, double[] z, int zOff, int n) {
    if (n < LD || op == BinaryOp.POW || (as | bs) >>> 1 != 0) {
      ScalarKernels.binary(op, a, aOff, as, b, bOff, bs, z, zOff, n);
      return;
    }
    if ((as | bs) == 0) {
      java.util.Arrays.fill(z, zOff, zOff + n, op.apply(a[aOff], b[bOff]));
      return;
    }
    int whole = n - n % LD;
    if (as == 1 && bs == 1) {
      binary(op, a, aOff, b, bOff, z, zOff, whole);
    } else {
      double[] rep = BUFFERS.get().db;
      java.util.Arrays.fill(rep, 0, Math.min(CHUNK, whole), as == 0 ? a[aOff] : b[bOff]);
      for (int i = 0; i < whole; i += CHUNK) {
        int len = Math.min(CHUNK, whole - i);
        if (as == 0) binary(op, rep, 0, b, bOff + i, z, zOff + i, len);
        else binary(op, a, aOff + i, rep, 0, z, zOff + i, len);
      }
    }
    for (int i = whole; i < n; i++) z[zOff + i] = op.apply(a[aOff + i * as], b[bOff + i * bs]);
  }

  private static void binary(BinaryOp op, double[] a, int ao, double[] b, int bo, double[] z, int zo, int n) {
    switch (op) {
      case ADD -> {
        for (int i = 0; i < n; i += LD) DoubleVector.fromArray(D, a, ao + i).add(DoubleVector.fromArray(D, b, bo + i)).intoArray(z, zo + i);
      }
      case SUB -> {
        for (int i = 0; i < n; i += LD) DoubleVector.fromArray(D, a, ao + i).sub(DoubleVector.fromArray(D, b, bo + i)).intoArray(z, zo + i);
      }
      case MUL -> {
        for (int i = 0; i < n; i += LD) DoubleVector.fromArray(D, a, ao + i).mul(DoubleVector.fromArray(D, b, bo + i)).intoArray(z, zo + i);
      }
      case DIV -> {
        for (int i = 0; i < n; i += LD) DoubleVector.fromArray(D, a, ao + i).div(DoubleVector.fromArray(D, b, bo + i)).intoArray(z, zo + i);
      }
      case MAX -> {
        for (int i = 0; i < n; i += LD) DoubleVector.fromArray(D, a, ao + i).max(DoubleVector.fromArray(D, b, bo + i)).intoArray(z, zo + i);
      }
      case MIN -> {
        for (int i = 0; i < n; i += LD) DoubleVector.fromArray(D, a, ao + i).min(DoubleVector.fromArray(D, b, bo + i)).intoArray(z, zo + i);
      }
      case EQ -> {
        DoubleVector zero = DoubleVector.zero(D);
        for (int i = 0; i < n; i += LD) {
          zero.blend(1.0, DoubleVector.fromArray(D, a, ao + i).compare(VectorOperators.EQ, DoubleVector.fromArray(D, b, bo + i))).intoArray(z, zo + i);
        }
      }
      case GT -> {
        DoubleVector zero = DoubleVector.zero(D);
        for (int i = 0; i < n; i += LD) {
          zero.blend(1.0, DoubleVector.fromArray(D, a, ao + i).compare(VectorOperators.GT, DoubleVector.fromArray(D, b, bo + i))).intoArray(z, zo + i);
        }
      }
      default -> throw new IllegalStateException("no vector form for " + op);
    }
  }

  // ------------------------------------------------------------------ reductions

  /**
   * Σ x[off + i]: four vector accumulators over blocks of 4·L elements, then one over single
   * vectors, combined as (a0 + a1) + (a2 + a3), lanes added in index order, then the tail in order.
   */
  @Override
  public void mulStep(float[] g, int gOff, float[] x, int xOff, float[] z, int zOff, int n) {
    int whole = n - n % LF;
    FloatVector zero = FloatVector.zero(F);
    for (int i = 0; i < whole; i += LF) {
      FloatVector m = zero.blend(1f, FloatVector.fromArray(F, x, xOff + i).compare(VectorOperators.GT, 0f));
      FloatVector.fromArray(F, g, gOff + i).mul(m).intoArray(z, zOff + i);
    }
    ScalarKernels.mulStep(g, gOff + whole, x, xOff + whole, z, zOff + whole, n - whole);
  }

  @Override
  public void mulStep(double[] g, int gOff, double[] x, int xOff, double[] z, int zOff, int n) {
    int whole = n - n % LD;
    DoubleVector zero = DoubleVector.zero(D);
    for (int i = 0; i < whole; i += LD) {
      DoubleVector m = zero.blend(1.0, DoubleVector.fromArray(D, x, xOff + i).compare(VectorOperators.GT, 0.0));
      DoubleVector.fromArray(D, g, gOff + i).mul(m).intoArray(z, zOff + i);
    }
    ScalarKernels.mulStep(g, gOff + whole, x, xOff + whole, z, zOff + whole, n - whole);
  }

  @Override
  public float sum(float[] x, int off, int n) {
    if (n < LF) return ScalarKernels.sum(x, off, n);
    FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i <= n - 4 * LF; i += 4 * LF) {
      a0 = a0.add(FloatVector.fromArray(F, x, off + i));
      a1 = a1.add(FloatVector.fromArray(F, x, off + i + LF));
      a2 = a2.add(FloatVector.fromArray(F, x, off + i + 2 * LF));
      a3 = a3.add(FloatVector.fromArray(F, x, off + i + 3 * LF));
    }
    for (; i <= n - LF; i += LF) a0 = a0.add(FloatVector.fromArray(F, x, off + i));
    FloatVector acc = a0.add(a1).add(a2.add(a3));
    float s = 0f;
    for (int l = 0; l < LF; l++) s += acc.lane(l);
    for (; i < n; i++) s += x[off + i];
    return s;
  }

  /** Σ x[off + i] in the order of {@link #sum(float[], int, int)}. */
  @Override
  public double sum(double[] x, int off, int n) {
    if (n < LD) return ScalarKernels.sum(x, off, n);
    DoubleVector a0 = DoubleVector.zero(D), a1 = a0, a2 = a0, a3 = a0;
    int i = 0;
    for (; i <= n - 4 * LD; i += 4 * LD) {
      a0 = a0.add(DoubleVector.fromArray(D, x, off + i));
      a1 = a1.add(DoubleVector.fromArray(D, x, off + i + LD));
      a2 = a2.add(DoubleVector.fromArray(D, x, off + i + 2 * LD));
      a3 = a3.add(DoubleVector.fromArray(D, x, off + i + 3 * LD));
    }
    for (; i <= n - LD; i += LD) a0 = a0.add(DoubleVector.fromArray(D, x, off + i));
    DoubleVector acc = a0.add(a1).add(a2.add(a3));
    double s = 0;
    for (int l = 0; l < LD; l++) s += acc.lane(l);
    for (; i < n; i++) s += x[off + i];
    return s;
  }

  /** max x[off + i] (NaN if any is NaN), with Math.max per lane; n ≥ 1. */
  @Override
  public float max(float[] x, int off, int n) {
    if (n < 2 * LF) return ScalarKernels.max(x, off, n);
    FloatVector a0 = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY), a1 = a0;
    int i = 0;
    for (; i <= n - 2 * LF; i += 2 * LF) {
      a0 = a0.max(FloatVector.fromArray(F, x, off + i));
      a1 = a1.max(FloatVector.fromArray(F, x, off + i + LF));
    }
    FloatVector acc = a0.max(a1);
    float m = Float.NEGATIVE_INFINITY;
    for (int l = 0; l < LF; l++) m = Math.max(m, acc.lane(l));
    for (; i < n; i++) m = Math.max(m, x[off + i]);
    return m;
  }

  /** max x[off + i] (NaN if any is NaN), with Math.max per lane; n ≥ 1. */
  @Override
  public double max(double[] x, int off, int n) {
    if (n < 2 * LD) return ScalarKernels.max(x, off, n);
    DoubleVector a0 = DoubleVector.broadcast(D, Double.NEGATIVE_INFINITY), a1 = a0;
    int i = 0;
    for (; i <= n - 2 * LD; i += 2 * LD) {
      a0 = a0.max(DoubleVector.fromArray(D, x, off + i));
      a1 = a1.max(DoubleVector.fromArray(D, x, off + i + LD));
    }
    DoubleVector acc = a0.max(a1);
    double m = Double.NEGATIVE_INFINITY;
    for (int l = 0; l < LD; l++) m = Math.max(m, acc.lane(l));
    for (; i < n; i++) m = Math.max(m, x[off + i]);
    return m;
  }

  @Override
  public void accumulate(BinaryOp op, float[] x, int xOff, float[] acc, int accOff, int n) {
    binary(op, acc, accOff, 1, x, xOff, 1, acc, accOff, n);
  }

  @Override
  public void accumulate(BinaryOp op, double[] x, int xOff, double[] acc, int accOff, int n) {
    binary(op, acc, accOff, 1, x, xOff, 1, acc, accOff, n);
  }

  // ------------------------------------------------------------------ GEMM

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k, float[] a, int aOff, int lda,
      float[] b, int bOff, int ldb, float[] c, int cOff, int ldc, boolean accumulate) {
    SimdGemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
  }

  @Override
  public void gemm(boolean transA, boolean transB, int m, int n, int k, double[] a, int aOff, int lda,
      double[] b, int bOff, int ldb, double[] c, int cOff, int ldc, boolean accumulate) {
    SimdGemm.gemm(transA, transB, m, n, k, a, aOff, lda, b, bOff, ldb, c, cOff, ldc, accumulate);
  }
}
