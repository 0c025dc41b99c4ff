package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every SIMD kernel against the scalar reference on random runs: sizes 0..300 and a few long ones,
 * offsets, unit/zero/other strides, special values. Exact operations must give the reference's
 * bits; exp, log, tanh and sigmoid must be within 2 ulp of it; sums within the rounding error of a
 * sum. GEMM is covered by {@link SimdGemmTest}.
 */
class SimdKernelsTest {
  static final CpuKernels SIMD = SimdKernels.INSTANCE;
  static final int[] STRIDES = {1, 1, 1, 0, 2, 3, -1};
  static final double[] SPECIALS = {0.0, -0.0, 1.0, -1.0, Double.NaN, Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY, Double.MIN_VALUE, -Double.MIN_VALUE, Double.MIN_NORMAL, 1e-310, 1e-40,
      709.78, 709.79, -745.1, -745.2, 88.7, 88.8, -103.9, -104.1, 0.625, -0.625, 0.62499, 1e-9, -1e-9, 20, -20, 1e300};

  /** Run lengths: every size up to 40, then a spread up to 300, and two long runs. */
  static int[] sizes() {
    int[] s = new int[41 + 12 + 2];
    for (int i = 0; i <= 40; i++) s[i] = i;
    for (int i = 0; i < 12; i++) s[41 + i] = 41 + i * 23;
    s[53] = 1000;
    s[54] = 4099;
    return s;
  }

  /** A value from the range that exercises op: wide for exp, positive-heavy for log and sqrt, around 0 otherwise. */
  static double sample(SplittableRandom r, UnaryOp op) {
    if (r.nextInt(40) == 0) return SPECIALS[r.nextInt(SPECIALS.length)];
    double u = 2 * r.nextDouble() - 1;
    return switch (op) {
      case EXP, EXPM1 -> u * (r.nextBoolean() ? 5 : 800);
      case LOG, LOG1P, SQRT -> r.nextInt(10) == 0 ? u : Math.exp(u * (r.nextBoolean() ? 3 : 740));
      case TANH, SIGMOID -> u * (r.nextBoolean() ? 1 : 40) * (r.nextInt(4) == 0 ? 1e-4 : 1);
      default -> u * 3;
    };
  }

  static boolean exactOp(UnaryOp op) {
    return switch (op) {
      case EXP, LOG, TANH, SIGMOID -> false;
      default -> true;
    };
  }

  /** Distance in ulp of the reference; 0 when equal (NaN equals NaN), infinite when one is infinite or NaN alone. */
  static double ulps(double got, double ref) {
    if (Double.isNaN(ref) || Double.isNaN(got)) return Double.isNaN(ref) && Double.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
    if (got == ref) return 0;
    if (Double.isInfinite(ref) || Double.isInfinite(got)) return Double.POSITIVE_INFINITY;
    return Math.abs(got - ref) / Math.ulp(ref);
  }

  static double ulps(float got, float ref) {
    if (Float.isNaN(ref) || Float.isNaN(got)) return Float.isNaN(ref) && Float.isNaN(got) ? 0 : Double.POSITIVE_INFINITY;
    if (got == ref) return 0;
    if (Float.isInfinite(ref) || Float.isInfinite(got)) return Double.POSITIVE_INFINITY;
    return Math.abs((double) got - ref) / Math.ulp(ref);
  }

  static boolean sameBits(double a, double b) {
    return Double.doubleToLongBits(a) == Double.doubleToLongBits(b);
  }

  static boolean sameBits(float a, float b) {
    return Float.floatToIntBits(a) == Float.floatToIntBits(b);
  }

  @Test
  void unaryMatchesReference() {
    SplittableRandom r = new SplittableRandom(21);
    for (UnaryOp op : UnaryOp.values()) {
      for (int n : sizes()) {
        int xs = STRIDES[r.nextInt(STRIDES.length)];
        int xOff = r.nextInt(5) + (xs < 0 ? Math.max(0, n - 1) * -xs : 0), yOff = r.nextInt(5);
        int xLen = xOff + (xs > 0 ? Math.max(0, n - 1) * xs : 0) + 1 + r.nextInt(3);
        double[] x = new double[xLen];
        for (int i = 0; i < xLen; i++) x[i] = sample(r, op);
        float[] xf = new float[xLen];
        for (int i = 0; i < xLen; i++) xf[i] = (float) x[i];
        double[] y = new double[yOff + n + 2], yr = y.clone();
        float[] yf = new float[yOff + n + 2], yrf = yf.clone();
        SIMD.unary(op, x, xOff, xs, y, yOff, n);
        ScalarKernels.unary(op, x, xOff, xs, yr, yOff, n);
        SIMD.unary(op, xf, xOff, xs, yf, yOff, n);
        ScalarKernels.unary(op, xf, xOff, xs, yrf, yOff, n);
        for (int i = 0; i < y.length; i++) {
          double in = i >= yOff && i < yOff + n ? x[xOff + (i - yOff) * xs] : Double.NaN;
          String where = op + " n=" + n + " stride " + xs + " at " + (i - yOff) + " x=" + in;
          if (exactOp(op) || i < yOff || i >= yOff + n) {
            if (!sameBits(y[i], yr[i])) fail(where + " float64: " + y[i] + " vs reference " + yr[i]);
            if (!sameBits(yf[i], yrf[i])) fail(where + " float32: " + yf[i] + " vs reference " + yrf[i]);
          } else {
            if (ulps(y[i], yr[i]) > 2) fail(where + " float64: " + y[i] + " vs reference " + yr[i] + ", " + ulps(y[i], yr[i]) + " ulp");
            if (ulps(yf[i], yrf[i]) > 2) fail(where + " float32: " + yf[i] + " vs reference " + yrf[i] + ", " + ulps(yf[i], yrf[i]) + " ulp");
          }
        }
      }
    }
  }

  /** The vector math gives an element the same bits wherever it sits: in a body, a tail, a strided or a broadcast run. */
  @Test
  void vectorMathDoesNotDependOnPosition() {
    SplittableRandom r = new SplittableRandom(22);
    for (UnaryOp op : new UnaryOp[] {UnaryOp.EXP, UnaryOp.LOG, UnaryOp.TANH, UnaryOp.SIGMOID}) {
      int n = 301;
      double[] x = new double[n];
      for (int i = 0; i < n; i++) x[i] = sample(r, op);
      float[] xf = new float[n];
      for (int i = 0; i < n; i++) xf[i] = (float) x[i];
      double[] all = new double[n], one = new double[1], strided = new double[2 * n];
      float[] allf = new float[n], onef = new float[1];
      SIMD.unary(op, x, 0, 1, all, 0, n);
      SIMD.unary(op, xf, 0, 1, allf, 0, n);
      double[] interleaved = new double[2 * n];
      for (int i = 0; i < n; i++) interleaved[2 * i] = x[i];
      SIMD.unary(op, interleaved, 0, 2, strided, 0, n);
      for (int i = 0; i < n; i++) {
        SIMD.unary(op, x, i, 0, one, 0, 1);
        SIMD.unary(op, xf, i, 1, onef, 0, 1);
        assertTrue(sameBits(all[i], one[0]) && sameBits(all[i], strided[i]), op + " float64 at " + i + ": " + all[i] + " / " + one[0] + " / " + strided[i]);
        assertTrue(sameBits(allf[i], onef[0]), op + " float32 at " + i + ": " + allf[i] + " / " + onef[0]);
      }
    }
  }

  static double binarySample(SplittableRandom r) {
    if (r.nextInt(20) == 0) return SPECIALS[r.nextInt(8)];
    // Small integers make EQ and the max/min ties happen.
    return r.nextInt(3) == 0 ? r.nextInt(3) - 1 : (2 * r.nextDouble() - 1) * 3;
  }

  @Test
  void binaryAndAccumulateGiveTheReferenceBits() {
    SplittableRandom r = new SplittableRandom(23);
    int[][] strides = {{1, 1}, {1, 1}, {0, 1}, {1, 0}, {0, 0}, {2, 1}, {1, 3}};
    for (BinaryOp op : BinaryOp.values()) {
      for (int n : sizes()) {
        int[] st = strides[r.nextInt(strides.length)];
        int aOff = r.nextInt(4), bOff = r.nextInt(4), zOff = r.nextInt(4);
        double[] a = new double[aOff + Math.max(0, n - 1) * st[0] + 1], b = new double[bOff + Math.max(0, n - 1) * st[1] + 1];
        for (int i = 0; i < a.length; i++) a[i] = binarySample(r);
        for (int i = 0; i < b.length; i++) b[i] = op == BinaryOp.POW ? Math.abs(binarySample(r)) : binarySample(r);
        float[] af = new float[a.length], bf = new float[b.length];
        for (int i = 0; i < a.length; i++) af[i] = (float) a[i];
        for (int i = 0; i < b.length; i++) bf[i] = (float) b[i];
        double[] z = new double[zOff + n + 1], zr = z.clone();
        float[] zf = new float[zOff + n + 1], zrf = zf.clone();
        SIMD.binary(op, a, aOff, st[0], b, bOff, st[1], z, zOff, n);
        ScalarKernels.binary(op, a, aOff, st[0], b, bOff, st[1], zr, zOff, n);
        SIMD.binary(op, af, aOff, st[0], bf, bOff, st[1], zf, zOff, n);
        ScalarKernels.binary(op, af, aOff, st[0], bf, bOff, st[1], zrf, zOff, n);
        for (int i = 0; i < z.length; i++) {
          String where = op + " n=" + n + " strides " + st[0] + "," + st[1] + " at " + (i - zOff);
          if (!sameBits(z[i], zr[i])) fail(where + " float64: " + z[i] + " vs reference " + zr[i]);
          if (!sameBits(zf[i], zrf[i])) fail(where + " float32: " + zf[i] + " vs reference " + zrf[i]);
        }
      }
    }
    for (BinaryOp op : new BinaryOp[] {BinaryOp.ADD, BinaryOp.MAX}) {
      for (int n : sizes()) {
        int xOff = r.nextInt(4), accOff = r.nextInt(4);
        double[] x = new double[xOff + n], acc = new double[accOff + n + 1];
        for (int i = 0; i < x.length; i++) x[i] = binarySample(r);
        for (int i = 0; i < acc.length; i++) acc[i] = binarySample(r);
        float[] xf = new float[x.length], accf = new float[acc.length];
        for (int i = 0; i < x.length; i++) xf[i] = (float) x[i];
        for (int i = 0; i < acc.length; i++) accf[i] = (float) acc[i];
        double[] ref = acc.clone();
        float[] reff = accf.clone();
        SIMD.accumulate(op, x, xOff, acc, accOff, n);
        ScalarKernels.accumulate(op, x, xOff, ref, accOff, n);
        SIMD.accumulate(op, xf, xOff, accf, accOff, n);
        ScalarKernels.accumulate(op, xf, xOff, reff, accOff, n);
        for (int i = 0; i < acc.length; i++) {
          assertTrue(sameBits(acc[i], ref[i]), "accumulate " + op + " float64 n=" + n + " at " + i + ": " + acc[i] + " vs " + ref[i]);
          assertTrue(sameBits(accf[i], reff[i]), "accumulate " + op + " float32 n=" + n + " at " + i + ": " + accf[i] + " vs " + reff[i]);
        }
      }
    }
  }

  /**
   * Sums against an exact-enough oracle (float64 left-to-right; for float64 inputs a compensated
   * sum), to 1e-5 (float32) and 1e-13 (float64) of Σ|x|; repeated calls give the same bits; max
   * equals the reference's value (NaN when any element is NaN).
   */
  @Test
  void sumAndMaxMatchReference() {
    SplittableRandom r = new SplittableRandom(24);
    int[] ns = sizes();
    int[] more = java.util.Arrays.copyOf(ns, ns.length + 1);
    more[ns.length] = 100_003;
    for (int n : more) {
      int off = r.nextInt(5);
      double[] x = new double[off + n + 2];
      for (int i = 0; i < x.length; i++) x[i] = (2 * r.nextDouble() - 1) * (r.nextInt(10) == 0 ? 1e3 : 1);
      float[] xf = new float[x.length];
      for (int i = 0; i < x.length; i++) xf[i] = (float) x[i];
      double abs = 0, absf = 0, exactf = 0, s = 0, comp = 0;
      for (int i = off; i < off + n; i++) {
        abs += Math.abs(x[i]);
        absf += Math.abs(xf[i]);
        exactf += xf[i];
        double t = s + x[i];
        comp += Math.abs(s) >= Math.abs(x[i]) ? (s - t) + x[i] : (x[i] - t) + s;
        s = t;
      }
      double exact = s + comp;
      double got = SIMD.sum(x, off, n);
      float gotf = SIMD.sum(xf, off, n);
      assertTrue(Math.abs(got - exact) <= 1e-13 * abs, "sum float64 n=" + n + ": " + got + " vs " + exact);
      assertTrue(Math.abs(gotf - exactf) <= 1e-5 * absf, "sum float32 n=" + n + ": " + gotf + " vs " + exactf);
      assertEquals(Double.doubleToLongBits(got), Double.doubleToLongBits(SIMD.sum(x, off, n)), "sum float64 repeated, n=" + n);
      assertEquals(Float.floatToIntBits(gotf), Float.floatToIntBits(SIMD.sum(xf, off, n)), "sum float32 repeated, n=" + n);
      if (n == 0) continue;
      if (r.nextInt(4) == 0) {
        int at = off + r.nextInt(n);
        x[at] = Double.NaN;
        xf[at] = Float.NaN;
      }
      double m = SIMD.max(x, off, n), mr = ScalarKernels.max(x, off, n);
      float mf = SIMD.max(xf, off, n), mrf = ScalarKernels.max(xf, off, n);
      assertTrue(m == mr || (Double.isNaN(m) && Double.isNaN(mr)), "max float64 n=" + n + ": " + m + " vs " + mr);
      assertTrue(mf == mrf || (Float.isNaN(mf) && Float.isNaN(mrf)), "max float32 n=" + n + ": " + mf + " vs " + mrf);
      assertTrue(Double.isNaN(SIMD.sum(x, off, n)) == Double.isNaN(mr), "a NaN makes the sum NaN, n=" + n);
    }
  }

  @Test
  void gemmRunsTheSimdGemm() {
    double[] a = {1, 2, 3, 4, 5, 6}, b = {7, 8, 9, 10, 11, 12}, c = new double[4];
    SIMD.gemm(false, false, 2, 2, 3, a, 0, 3, b, 0, 2, c, 0, 2, false);
    // [1 2 3; 4 5 6]·[7 8; 9 10; 11 12] = [58 64; 139 154], exact in any summation order.
    assertEquals(58, c[0]);
    assertEquals(64, c[1]);
    assertEquals(139, c[2]);
    assertEquals(154, c[3]);
    assertEquals("simd", SIMD.name());
  }

  /** The fused ReLU product equals the product with the formed 0/1 mask bit for bit, special values included. */
  @Test
  void mulStepEqualsTheMaskProduct() {
    float[] specials = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE};
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    int n = 3 * 64 + 5;
    float[] g = new float[n + 2], x = new float[n + 1];
    for (int i = 0; i < g.length; i++) g[i] = r.nextInt(4) == 0 ? specials[r.nextInt(specials.length)] : (float) r.nextGaussian();
    for (int i = 0; i < x.length; i++) x[i] = r.nextInt(4) == 0 ? specials[r.nextInt(specials.length)] : (float) r.nextGaussian();
    float[] mask = new float[n], want = new float[n], got = new float[n + 3], scalar = new float[n];
    ScalarKernels.unary(UnaryOp.STEP, x, 1, 1, mask, 0, n);
    ScalarKernels.binary(BinaryOp.MUL, g, 2, 1, mask, 0, 1, want, 0, n);
    SimdKernels.INSTANCE.mulStep(g, 2, x, 1, got, 3, n);
    CpuKernels.SCALAR.mulStep(g, 2, x, 1, scalar, 0, n);
    for (int i = 0; i < n; i++) {
      assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i + 3]), "SIMD at " + i + ": g=" + g[i + 2] + " x=" + x[i + 1]);
      assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(scalar[i]), "scalar at " + i);
    }
    double[] gd = new double[n], xd = new double[n], maskd = new double[n], wantd = new double[n], gotd = new double[n];
    for (int i = 0; i < n; i++) {
      gd[i] = g[i];
      xd[i] = x[i];
    }
    ScalarKernels.unary(UnaryOp.STEP, xd, 0, 1, maskd, 0, n);
    ScalarKernels.binary(BinaryOp.MUL, gd, 0, 1, maskd, 0, 1, wantd, 0, n);
    SimdKernels.INSTANCE.mulStep(gd, 0, xd, 0, gotd, 0, n);
    for (int i = 0; i < n; i++) assertEquals(Double.doubleToRawLongBits(wantd[i]), Double.doubleToRawLongBits(gotd[i]), "float64 SIMD at " + i);
  }
}
