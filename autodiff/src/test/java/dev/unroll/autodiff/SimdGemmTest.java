package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * SimdGemm against the scalar reference: every transpose combination, offsets, padded leading
 * dimensions, accumulation, edge tiles, sizes that cross the cache blocks; bit-identity across
 * thread counts, bands and repeated runs.
 */
class SimdGemmTest {
  /** One problem: sizes, layout and the stored arrays' padding. */
  record Case(boolean ta, boolean tb, int m, int n, int k, int aOff, int lda, int bOff, int ldb, int cOff, int ldc, boolean acc) {
    int aLen() { return aOff + ((ta ? k : m) - 1) * lda + (ta ? m : k) + 3; }
    int bLen() { return bOff + ((tb ? n : k) - 1) * ldb + (tb ? k : n) + 3; }
    int cLen() { return cOff + (m - 1) * ldc + n + 3; }
    long work() { return (long) m * n * k; }
  }

  static Case random(SplittableRandom r, int m, int n, int k) {
    boolean ta = r.nextBoolean(), tb = r.nextBoolean();
    int lda = (ta ? m : k) + (r.nextInt(3) == 0 ? r.nextInt(5) : 0);
    int ldb = (tb ? k : n) + (r.nextInt(3) == 0 ? r.nextInt(5) : 0);
    int ldc = n + (r.nextInt(3) == 0 ? r.nextInt(5) : 0);
    return new Case(ta, tb, m, n, k, r.nextInt(8), lda, r.nextInt(8), ldb, r.nextInt(8), ldc, r.nextBoolean());
  }

  /** Small and medium random shapes (1..300), all four layouts, plus a few that cross KC, MC and NC. */
  static List<Case> cases() {
    SplittableRandom r = new SplittableRandom(7);
    List<Case> cs = new ArrayList<>();
    for (int i = 0; i < 60; i++) cs.add(random(r, 1 + r.nextInt(40), 1 + r.nextInt(40), 1 + r.nextInt(40)));
    for (int i = 0; i < 25; i++) cs.add(random(r, 1 + r.nextInt(300), 1 + r.nextInt(300), 1 + r.nextInt(300)));
    // The unpacked strips (narrow C, one row, short depth) and the dot products (one or two
    // columns), with C and B ending exactly at their arrays' ends as tensors do.
    int l = Gemm32.L;
    // The last four are read in place (Gemm64.inPlace) where B is not transposed.
    int[][] thin = {{32, 128, 1}, {32, 1, 128}, {1, 128, 32}, {128, 8, 32}, {128, 10, 256}, {9, l + 1, 17},
        {17, 2 * l - 1, 5}, {33, 2, 40}, {7, l, 3}, {8, l - 1, 300}, {3, 3 * l + 2, 15},
        {32, 128, 128}, {128, 32, 128}, {128, 128, 64}, {13, 4 * l, 300}};
    for (int[] s : thin) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean tb : new boolean[] {false, true}) {
          int m = s[0], n = s[1], k = s[2];
          cs.add(new Case(ta, tb, m, n, k, 0, ta ? m : k, 0, tb ? k : n, 0, n, false));
          cs.add(new Case(ta, tb, m, n, k, 1, (ta ? m : k) + 2, 2, (tb ? k : n) + 1, 3, n + 2, true));
        }
      }
    }
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        cs.add(new Case(ta, tb, 133, 70, 517, 3, ta ? 133 : 519, 1, tb ? 517 : 70, 2, 71, true));
        cs.add(new Case(ta, tb, 7, 2100, 40, 0, ta ? 7 : 40, 0, tb ? 40 : 2100, 0, 2100, false));
        cs.add(new Case(ta, tb, 301, 9, 300, 0, ta ? 301 : 300, 5, tb ? 300 : 9, 1, 9, false));
      }
    }
    return cs;
  }

  static double[] randomArray(SplittableRandom r, int n) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) x[i] = 2 * r.nextDouble() - 1;
    return x;
  }

  static float[] toFloat(double[] x) {
    float[] y = new float[x.length];
    for (int i = 0; i < x.length; i++) y[i] = (float) x[i];
    return y;
  }

  static double[] abs(double[] x) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) y[i] = Math.abs(x[i]);
    return y;
  }

  /**
   * Checks |C − C_ref| ≤ tol·(|op(A)|·|op(B)| + |C_old|) element-wise (the natural scale of the
   * rounding error of a sum), and that every array entry outside the m×n window of C is untouched.
   */
  static void compare(Case c, double[] got, double[] ref, double[] scale, double[] before, double tol, String what) {
    boolean[] inside = new boolean[got.length];
    for (int i = 0; i < c.m; i++) {
      for (int j = 0; j < c.n; j++) {
        int q = c.cOff + i * c.ldc + j;
        inside[q] = true;
        double err = Math.abs(got[q] - ref[q]);
        assertTrue(err <= tol * scale[q] || err == 0, () -> what + " " + c + ": C[" + (q - c.cOff) / c.ldc + "][" + (q - c.cOff) % c.ldc
            + "] = " + got[q] + ", reference " + ref[q] + ", error " + err + " > " + tol + "·" + scale[q]);
      }
    }
    for (int q = 0; q < got.length; q++) {
      if (!inside[q]) assertEquals(before[q], got[q], 0.0, what + " " + c + ": wrote outside C at index " + q);
    }
  }

  @Test
  void float64MatchesScalarReference() {
    SplittableRandom r = new SplittableRandom(11);
    for (Case c : cases()) {
      double[] a = randomArray(r, c.aLen()), b = randomArray(r, c.bLen()), c0 = randomArray(r, c.cLen());
      double[] got = c0.clone(), ref = c0.clone(), scale = abs(c0);
      SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, got, c.cOff, c.ldc, c.acc);
      ScalarKernels.gemm(c.ta, c.tb, c.m, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, ref, c.cOff, c.ldc, c.acc);
      if (!c.acc) java.util.Arrays.fill(scale, 0);
      ScalarKernels.gemm(c.ta, c.tb, c.m, c.n, c.k, abs(a), c.aOff, c.lda, abs(b), c.bOff, c.ldb, scale, c.cOff, c.ldc, true);
      compare(c, got, ref, scale, c0, 1e-13, "float64");
    }
  }

  @Test
  void float32MatchesScalarReference() {
    SplittableRandom r = new SplittableRandom(12);
    for (Case c : cases()) {
      double[] ad = randomArray(r, c.aLen()), bd = randomArray(r, c.bLen()), cd = randomArray(r, c.cLen());
      float[] a = toFloat(ad), b = toFloat(bd), c0 = toFloat(cd);
      float[] got = c0.clone(), ref = c0.clone();
      SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, got, c.cOff, c.ldc, c.acc);
      ScalarKernels.gemm(c.ta, c.tb, c.m, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, ref, c.cOff, c.ldc, c.acc);
      double[] scale = new double[c0.length];
      for (int i = 0; i < scale.length; i++) scale[i] = c.acc ? Math.abs(c0[i]) : 0;
      double[] aa = new double[a.length], ba = new double[b.length];
      for (int i = 0; i < a.length; i++) aa[i] = Math.abs(a[i]);
      for (int i = 0; i < b.length; i++) ba[i] = Math.abs(b[i]);
      ScalarKernels.gemm(c.ta, c.tb, c.m, c.n, c.k, aa, c.aOff, c.lda, ba, c.bOff, c.ldb, scale, c.cOff, c.ldc, true);
      double[] g = new double[got.length], rf = new double[got.length], b0 = new double[got.length];
      for (int i = 0; i < g.length; i++) {
        g[i] = got[i];
        rf[i] = ref[i];
        b0[i] = c0[i];
      }
      compare(c, g, rf, scale, b0, 2e-6, "float32");
    }
  }

  /** Large enough to be split between threads, in both directions (by columns and by rows), with edges. */
  static List<Case> parallelCases() {
    return List.of(
        new Case(false, false, 150, 333, 300, 1, 300, 2, 333, 0, 333, false),
        new Case(true, false, 333, 150, 300, 0, 333, 0, 150, 3, 151, true),
        new Case(false, true, 517, 45, 260, 0, 260, 0, 260, 0, 45, false),
        new Case(true, true, 64, 700, 129, 0, 64, 0, 129, 0, 700, true));
  }

  @Test
  void threadsAndBandsDoNotChangeABit() {
    SplittableRandom r = new SplittableRandom(13);
    for (Case c : parallelCases()) {
      assertTrue(c.work() >= SimdGemm.PARALLEL_MIN_WORK, "case too small to go parallel: " + c);
      double[] a = randomArray(r, c.aLen()), b = randomArray(r, c.bLen()), c0 = randomArray(r, c.cLen());
      float[] af = toFloat(a), bf = toFloat(b), cf0 = toFloat(c0);
      double[] one = c0.clone(), two = c0.clone(), again = c0.clone(), bands = c0.clone();
      float[] onef = cf0.clone(), twof = cf0.clone(), bandsf = cf0.clone();
      Parallel.withThreads(1, () -> {
        SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, one, c.cOff, c.ldc, c.acc);
        SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, af, c.aOff, c.lda, bf, c.bOff, c.ldb, onef, c.cOff, c.ldc, c.acc);
      });
      Parallel.withThreads(2, () -> {
        SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, two, c.cOff, c.ldc, c.acc);
        SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, af, c.aOff, c.lda, bf, c.bOff, c.ldb, twof, c.cOff, c.ldc, c.acc);
        SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, again, c.cOff, c.ldc, c.acc);
      });
      assertArrayEquals(one, two, "float64, 1 vs 2 threads: " + c);
      assertArrayEquals(onef, twof, "float32, 1 vs 2 threads: " + c);
      assertArrayEquals(two, again, "float64, repeated run: " + c);
      // Whatever the pool size, uneven bands of rows and of columns give the same bits as one band.
      int[] rows = {0, 4, 4 + 8 * Gemm64.MR, c.m};
      for (int q = 0; q + 1 < rows.length; q++) {
        int i0 = Math.min(rows[q], c.m), i1 = Math.min(rows[q + 1], c.m);
        if (i0 < i1) Gemm64.blocked(c.ta, c.tb, i0, i1, 0, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, bands, c.cOff, c.ldc, c.acc);
      }
      assertArrayEquals(one, bands, "float64, row bands vs one band: " + c);
      int[] cols = {0, Gemm32.NR, 3 * Gemm32.NR, c.n};
      for (int q = 0; q + 1 < cols.length; q++) {
        int j0 = Math.min(cols[q], c.n), j1 = Math.min(cols[q + 1], c.n);
        if (j0 < j1) Gemm32.blocked(c.ta, c.tb, 0, c.m, j0, j1, c.k, af, c.aOff, c.lda, bf, c.bOff, c.ldb, bandsf, c.cOff, c.ldc, c.acc);
      }
      assertArrayEquals(onef, bandsf, "float32, column bands vs one band: " + c);
    }
  }

  /**
   * Operands read in place ({@link Gemm64#inPlace}) give the packed, blocked path's bits: the same
   * chain per element, whatever the layout of A, with edge rows, several depth blocks, offsets and
   * padded leading dimensions.
   */
  @Test
  void operandsReadInPlaceGiveThePackedPathsBits() {
    SplittableRandom r = new SplittableRandom(17);
    int nr = Gemm32.NR; // a multiple of Gemm64.NR
    int[][] shapes = {{32, 4 * nr, 128}, {128, nr, 128}, {128, 4 * nr, 64}, {7, nr, 300}, {1, 2 * nr, 5}, {13, 3 * nr, 40}, {9, nr, 2 * Gemm64.KC + 9}};
    for (int[] sh : shapes) {
      for (boolean ta : new boolean[] {false, true}) {
        for (boolean acc : new boolean[] {false, true}) {
          int m = sh[0], n = sh[1], k = sh[2];
          Case c = new Case(ta, false, m, n, k, 3, (ta ? m : k) + 1, 2, n + 4, 1, n + 2, acc);
          double[] a = randomArray(r, c.aLen()), b = randomArray(r, c.bLen()), c0 = randomArray(r, c.cLen());
          float[] af = toFloat(a), bf = toFloat(b), cf0 = toFloat(c0);
          double[] packed = c0.clone(), inPlace = c0.clone();
          float[] packedF = cf0.clone(), inPlaceF = cf0.clone();
          Gemm64.blocked(ta, false, 0, m, 0, n, k, a, c.aOff, c.lda, b, c.bOff, c.ldb, packed, c.cOff, c.ldc, acc);
          Gemm64.inPlace(ta, m, n, k, a, c.aOff, c.lda, b, c.bOff, c.ldb, inPlace, c.cOff, c.ldc, acc);
          Gemm32.blocked(ta, false, 0, m, 0, n, k, af, c.aOff, c.lda, bf, c.bOff, c.ldb, packedF, c.cOff, c.ldc, acc);
          Gemm32.inPlace(ta, m, n, k, af, c.aOff, c.lda, bf, c.bOff, c.ldb, inPlaceF, c.cOff, c.ldc, acc);
          assertArrayEquals(packed, inPlace, "float64 " + c);
          assertArrayEquals(packedF, inPlaceF, "float32 " + c);
        }
      }
    }
  }

  /** The strips split between threads by bands of rows: bit-identical to one thread, C narrower than a vector and wider. */
  @Test
  void stripsSplitBetweenThreadsDoNotChangeABit() {
    SplittableRandom r = new SplittableRandom(14);
    for (Case c : List.of(new Case(false, false, 2000, 9, 130, 0, 130, 0, 9, 0, 9, false),
        new Case(true, true, 1500, Gemm32.L - 3, 200, 0, 1500, 0, 200, 0, Gemm32.L - 3, true))) {
      assertTrue(c.work() >= SimdGemm.PARALLEL_MIN_WORK, "case too small to go parallel: " + c);
      double[] a = randomArray(r, c.aLen()), b = randomArray(r, c.bLen()), c0 = randomArray(r, c.cLen());
      float[] af = toFloat(a), bf = toFloat(b), cf0 = toFloat(c0);
      double[] one = c0.clone(), two = c0.clone();
      float[] onef = cf0.clone(), twof = cf0.clone();
      Parallel.withThreads(1, () -> {
        SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, one, c.cOff, c.ldc, c.acc);
        SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, af, c.aOff, c.lda, bf, c.bOff, c.ldb, onef, c.cOff, c.ldc, c.acc);
      });
      Parallel.withThreads(2, () -> {
        SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, two, c.cOff, c.ldc, c.acc);
        SimdGemm.gemm(c.ta, c.tb, c.m, c.n, c.k, af, c.aOff, c.lda, bf, c.bOff, c.ldb, twof, c.cOff, c.ldc, c.acc);
      });
      assertArrayEquals(one, two, "float64, 1 vs 2 threads: " + c);
      assertArrayEquals(onef, twof, "float32, 1 vs 2 threads: " + c);
      double[] ref = c0.clone();
      ScalarKernels.gemm(c.ta, c.tb, c.m, c.n, c.k, a, c.aOff, c.lda, b, c.bOff, c.ldb, ref, c.cOff, c.ldc, c.acc);
      for (int i = 0; i < ref.length; i++) assertEquals(ref[i], one[i], 1e-12 * (1 + Math.abs(ref[i])) * c.k, "float64 against the reference at " + i + ": " + c);
    }
  }

  /** Tensors end where their storage ends: the masked edge of the strips must not read or write past it. */
  @Test
  void stripsAtTheEndOfTheirArrays() {
    SplittableRandom r = new SplittableRandom(15);
    for (int n : new int[] {1, 3, Gemm32.L - 1, Gemm32.L + 5}) {
      for (boolean tb : new boolean[] {false, true}) {
        int m = 11, k = 7;
        float[] a = toFloat(randomArray(r, m * k)), b = toFloat(randomArray(r, k * n)), c = new float[m * n], ref = new float[m * n];
        SimdGemm.gemm(false, tb, m, n, k, a, 0, k, b, 0, tb ? k : n, c, 0, n, false);
        ScalarKernels.gemm(false, tb, m, n, k, a, 0, k, b, 0, tb ? k : n, ref, 0, n, false);
        for (int i = 0; i < c.length; i++) assertEquals(ref[i], c[i], 1e-5, "n=" + n + " tb=" + tb + " at " + i);
        SimdGemm.gemm(false, tb, m, n, k, a, 0, k, b, 0, tb ? k : n, c, 0, n, true);
        for (int i = 0; i < c.length; i++) assertEquals(2 * ref[i], c[i], 2e-5, "accumulate, n=" + n + " tb=" + tb + " at " + i);
      }
    }
  }

  @Test
  void emptyAndDegenerateSizes() {
    double[] c = {5, 5, 5, 5};
    SimdGemm.gemm(false, false, 2, 2, 0, new double[0], 0, 0, new double[0], 0, 2, c, 0, 2, true);
    assertArrayEquals(new double[] {5, 5, 5, 5}, c, "k = 0 with accumulate leaves C");
    SimdGemm.gemm(false, false, 2, 2, 0, new double[0], 0, 0, new double[0], 0, 2, c, 0, 2, false);
    assertArrayEquals(new double[] {0, 0, 0, 0}, c, "k = 0 without accumulate zeroes C");
    float[] cf = {7f};
    SimdGemm.gemm(false, false, 0, 1, 3, new float[0], 0, 3, new float[3], 0, 1, cf, 0, 1, false);
    assertEquals(7f, cf[0], "m = 0 writes nothing");
  }

  @Test
  void meterReportsAPositiveRate() {
    double g = GemmMeter.gflops(false, 48, 1, 5);
    assertTrue(g > 0 && Double.isFinite(g), "GemmMeter float32: " + g);
    g = GemmMeter.gflops(true, 48, 2, 5);
    assertTrue(g > 0 && Double.isFinite(g), "GemmMeter float64: " + g);
    assertThrows(IllegalArgumentException.class, () -> GemmMeter.gflops(true, 0, 1, 5));
  }

  @Test
  void badLayoutsAreRejectedWithTheOperandNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SimdGemm.gemm(false, false, 4, 4, 4, new float[15], 0, 4, new float[16], 0, 4, new float[16], 0, 4, false));
    assertTrue(e.getMessage().contains("stored A") && e.getMessage().contains("length 15"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SimdGemm.gemm(false, true, 4, 4, 4, new double[16], 0, 4, new double[16], 0, 3, new double[16], 0, 4, false));
    assertTrue(e.getMessage().contains("ldb=3"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SimdGemm.gemm(false, false, 4, 4, 4, new double[16], 0, 4, new double[16], 0, 4, new double[16], 1, 4, false));
    assertTrue(e.getMessage().contains("stored C"), e.getMessage());
  }
}
