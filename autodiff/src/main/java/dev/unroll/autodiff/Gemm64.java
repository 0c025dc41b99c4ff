package dev.unroll.autodiff;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * float64 GEMM for {@link SimdGemm}: operand packing, the register-tiled micro-kernel, the
 * cache-blocked loops over a sub-block of C, and a plain vectorized path for tiny problems.
 *
 * <p>{@link #blocked} computes C[i][j] (+)= Σ_p A(i,p)·B(p,j) for the elements of its sub-block with
 * the same arithmetic whatever the sub-block: p runs in blocks of {@link #KC} in increasing order;
 * within a block one fused multiply-add chain over p starting from 0; the block's sum is then added
 * to C (or stored, for the first block when not accumulating). The split of C between threads
 * therefore never changes a result bit.
 */
final class Gemm64 {
  private Gemm64() {}

  static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
  /** Lanes per vector. */
  static final int L = S.length();
  /** Micro-tile rows: four rows of two vectors keep 8 accumulators live, which AVX2 holds without spilling. */
  static final int MR = 4;
  /** Micro-tile columns. */
  static final int NR = 2 * L;
  /**
   * Whether full tiles take eight rows ({@link #kernel8}): with 512-bit vectors the machine has 32
   * vector registers, enough for sixteen accumulators, which cover the FMA latency with room to spare
   * (eight leave none). The arithmetic per element of C is the same chain either way.
   */
  static final boolean WIDE = S.vectorBitSize() >= 512;
  /** Depth of a packed block: a KC×NR panel of B stays in L1. */
  static final int KC = 256;
  /** Rows of A per block: an MC×KC block of A stays in L2. */
  static final int MC = 128;
  /** Columns of B per packed block (L3). */
  static final int NC = 2048;

  /** Per-thread packing buffers, grown on demand and reused. */
  static final class Scratch {
    double[] a = new double[0];
    double[] b = new double[0];
    /** The blocked path's edge tile, also the narrow path's eight rows of one vector. */
    final double[] tile = new double[Math.max(MR * NR, 8 * L)];
    double[] tail = new double[0];

    double[] tail(int n) {
      if (tail.length < n) tail = new double[n];
      return tail;
    }

    double[] a(int n) {
      if (a.length < n) a = new double[n];
      return a;
    }

    double[] b(int n) {
      if (b.length < n) b = new double[n];
      return b;
    }
  }

  static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

  /**
   * The rows [i0, i1) and columns [j0, j1) of C (+)= op(A)·op(B), cache-blocked and packed; k ≥ 1.
   * Arguments as in {@link ScalarKernels#gemm}.
   */
  static void blocked(boolean ta, boolean tb, int i0, int i1, int j0, int j1, int k,
      double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
      double[] c, int cOff, int ldc, boolean accumulate) {
    Scratch s = SCRATCH.get();
    for (int jc = j0; jc < j1; jc += NC) {
      int nc = Math.min(NC, j1 - jc);
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        double[] bp = s.b(kc * roundUp(nc, NR));
        packB(tb, b, bOff, ldb, pc, kc, jc, nc, bp);
        macro(ta, i0, i1, jc, nc, pc, kc, a, aOff, lda, bp, c, cOff, ldc, accumulate || pc > 0, s);
      }
    }
  }

  /**
   * One packed block of B against the rows [i0, i1) of op(A): C rows [i0, i1) × columns
   * [jc, jc+nc) (+)= op(A)[:, pc:pc+kc]·B block, with {@code bp} holding rows [pc, pc+kc) ×
   * columns [jc, jc+nc) of op(B) in NR-column panels as {@link #packB} leaves them. The loops of
   * {@link #blocked} inside one depth block, shared with kernels that pack B their own way
   * ({@link OuterSumDots}).
   */
  static void macro(boolean ta, int i0, int i1, int jc, int nc, int pc, int kc, double[] a, int aOff, int lda,
      double[] bp, double[] c, int cOff, int ldc, boolean add, Scratch s) {
    macro(ta, true, i0, i1, jc, nc, pc, kc, a, aOff, lda, bp, 0, kc, NR, c, cOff, ldc, add, s);
  }

  /**
   * C (+)= op(A)·B for a row-major B read where it lies, without packing either operand (a
   * transposed A is read in place too, its rows' elements adjacent for each p): for products too
   * small to repay packing, n a multiple of {@link #NR}, B small enough to stay in cache across
   * the row groups. Each element of C gets the same arithmetic as in {@link #blocked}.
   */
  static void inPlace(boolean ta, int m, int n, int k, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
      double[] c, int cOff, int ldc, boolean accumulate) {
    Scratch s = SCRATCH.get();
    for (int pc = 0; pc < k; pc += KC) {
      int kc = Math.min(KC, k - pc);
      macro(ta, false, 0, m, 0, n, pc, kc, a, aOff, lda, b, bOff + pc * ldb, 1, ldb, c, cOff, ldc, accumulate || pc > 0, s);
    }
  }

  /**
   * {@link #macro(boolean, int, int, int, int, int, int, double[], int, int, double[], double[], int, int, boolean, Scratch)}
   * with B's block anywhere: element (p, j) of the block (j from column jc) at
   * b[bOrigin + (j − j mod NR)·bPanel + p·bStep + j mod NR] (packed panels: bOrigin 0, bPanel kc,
   * bStep NR; a row-major B in place: its block's first element, 1, ldb). A transposed A is packed
   * when {@code packA}, else read in place.
   */
  private static void macro(boolean ta, boolean packA, int i0, int i1, int jc, int nc, int pc, int kc, double[] a, int aOff, int lda,
      double[] bp, int bOrigin, int bPanel, int bStep, double[] c, int cOff, int ldc, boolean add, Scratch s) {
    double[] tile = s.tile;
    // Rows of a packed transposed A lie in MR-interleaved panels: panel ir starts at ir·kc.
    boolean panels = ta && packA;
    for (int ic = i0; ic < i1; ic += MC) {
      int mc = Math.min(MC, i1 - ic);
      // Element (r, p) of the A block lies at ap[aBase + r·aRow + p·aStep] (within a panel when packed).
      double[] ap;
      int aBase, aRow, aStep;
      if (ta && !packA) {
        ap = a;
        aBase = aOff + pc * lda + ic;
        aRow = 1;
        aStep = lda;
      } else if (ta) {
        ap = s.a(roundUp(mc, MR) * kc);
        packTransposedA(a, aOff, lda, ic, mc, pc, kc, ap);
        aBase = 0;
        aRow = 1;
        aStep = MR;
      } else {
        // Rows of A are already contiguous in p: the kernel reads them in place (packing them
        // measured no faster, even for power-of-two leading dimensions).
        ap = a;
        aBase = aOff + ic * lda + pc;
        aRow = lda;
        aStep = 1;
      }
      for (int jr = 0; jr < nc; jr += NR) {
        int nr = Math.min(NR, nc - jr);
        int bBase = bOrigin + jr * bPanel;
        int ir = 0;
        if (WIDE && nr == NR) {
          // Eight full rows at a time where the registers allow: two MR-row groups sharing each B load.
          for (; ir + 2 * MR <= mc; ir += 2 * MR) {
            int r0 = panels ? aBase + ir * kc : aBase + ir * aRow;
            int r4 = panels ? aBase + (ir + MR) * kc : aBase + (ir + MR) * aRow;
            int ci = cOff + (ic + ir) * ldc + jc + jr;
            kernel8(kc, ap, r0, r0 + aRow, r0 + 2 * aRow, r0 + 3 * aRow, r4, r4 + aRow, r4 + 2 * aRow, r4 + 3 * aRow, aStep, bp, bBase, bStep, c, ci, ldc, add);
          }
        }
        for (; ir < mc; ir += MR) {
          int mr = Math.min(MR, mc - ir);
          int r0 = panels ? aBase + ir * kc : aBase + ir * aRow;
          // Rows past the edge repeat the last row; their results are discarded.
          int r1 = r0 + Math.min(1, mr - 1) * aRow;
          int r2 = r0 + Math.min(2, mr - 1) * aRow;
          int r3 = r0 + Math.min(3, mr - 1) * aRow;
          int ci = cOff + (ic + ir) * ldc + jc + jr;
          if (mr == MR && nr == NR) {
            kernel(kc, ap, r0, r1, r2, r3, aStep, bp, bBase, bStep, c, ci, ldc, add);
          } else {
            kernel(kc, ap, r0, r1, r2, r3, aStep, bp, bBase, bStep, tile, 0, NR, false);
            for (int r = 0; r < mr; r++) {
              int cr = ci + r * ldc, tr = r * NR;
              if (add) for (int j = 0; j < nr; j++) c[cr + j] += tile[tr + j];
              else System.arraycopy(tile, tr, c, cr, nr);
            }
          }
        }
      }
    }
  }

  /**
   * The MR×NR register tile: C[r][j] (+)= Σ_{p&lt;kc} a[ar + p·ps]·b[b0 + p·bs + j] for the four row
   * starts ar ∈ {r0, r1, r2, r3}; row r of the tile goes to c[c0 + r·ldc + j]. Eight accumulator
   * vectors, two B vectors and one broadcast A value stay in registers (AVX2 has sixteen).
   */
  static void kernel(int kc, double[] a, int r0, int r1, int r2, int r3, int ps,
      double[] b, int b0, int bs, double[] c, int c0, int ldc, boolean add) {
    DoubleVector c00 = DoubleVector.zero(S), c01 = DoubleVector.zero(S);
    DoubleVector c10 = DoubleVector.zero(S), c11 = DoubleVector.zero(S);
    DoubleVector c20 = DoubleVector.zero(S), c21 = DoubleVector.zero(S);
    DoubleVector c30 = DoubleVector.zero(S), c31 = DoubleVector.zero(S);
    for (int p = 0, q = 0; p < kc; p++, q += ps) {
      int bi = b0 + p * bs;
      DoubleVector bv0 = DoubleVector.fromArray(S, b, bi);
      DoubleVector bv1 = DoubleVector.fromArray(S, b, bi + L);
      DoubleVector av = DoubleVector.broadcast(S, a[r0 + q]);
      c00 = av.fma(bv0, c00);
      c01 = av.fma(bv1, c01);
      av = DoubleVector.broadcast(S, a[r1 + q]);
      c10 = av.fma(bv0, c10);
      c11 = av.fma(bv1, c11);
      av = DoubleVector.broadcast(S, a[r2 + q]);
      c20 = av.fma(bv0, c20);
      c21 = av.fma(bv1, c21);
      av = DoubleVector.broadcast(S, a[r3 + q]);
      c30 = av.fma(bv0, c30);
      c31 = av.fma(bv1, c31);
    }
    int c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
    if (add) {
      c00 = c00.add(DoubleVector.fromArray(S, c, c0));
      c01 = c01.add(DoubleVector.fromArray(S, c, c0 + L));
      c10 = c10.add(DoubleVector.fromArray(S, c, c1));
      c11 = c11.add(DoubleVector.fromArray(S, c, c1 + L));
      c20 = c20.add(DoubleVector.fromArray(S, c, c2));
      c21 = c21.add(DoubleVector.fromArray(S, c, c2 + L));
      c30 = c30.add(DoubleVector.fromArray(S, c, c3));
      c31 = c31.add(DoubleVector.fromArray(S, c, c3 + L));
    }
    c00.intoArray(c, c0);
    c01.intoArray(c, c0 + L);
    c10.intoArray(c, c1);
    c11.intoArray(c, c1 + L);
    c20.intoArray(c, c2);
    c21.intoArray(c, c2 + L);
    c30.intoArray(c, c3);
    c31.intoArray(c, c3 + L);
  }

  /** {@link #kernel} for eight rows (starts r0 … r7, the same step): sixteen accumulators. */
  static void kernel8(int kc, double[] a, int r0, int r1, int r2, int r3, int r4, int r5, int r6, int r7, int ps,
      double[] b, int b0, int bs, double[] c, int c0, int ldc, boolean add) {
    DoubleVector c00 = DoubleVector.zero(S), c01 = DoubleVector.zero(S), c10 = DoubleVector.zero(S), c11 = DoubleVector.zero(S);
    DoubleVector c20 = DoubleVector.zero(S), c21 = DoubleVector.zero(S), c30 = DoubleVector.zero(S), c31 = DoubleVector.zero(S);
    DoubleVector c40 = DoubleVector.zero(S), c41 = DoubleVector.zero(S), c50 = DoubleVector.zero(S), c51 = DoubleVector.zero(S);
    DoubleVector c60 = DoubleVector.zero(S), c61 = DoubleVector.zero(S), c70 = DoubleVector.zero(S), c71 = DoubleVector.zero(S);
    for (int p = 0, q = 0; p < kc; p++, q += ps) {
      int bi = b0 + p * bs;
      DoubleVector bv0 = DoubleVector.fromArray(S, b, bi);
      DoubleVector bv1 = DoubleVector.fromArray(S, b, bi + L);
      DoubleVector av = DoubleVector.broadcast(S, a[r0 + q]);
      c00 = av.fma(bv0, c00);
      c01 = av.fma(bv1, c01);
      av = DoubleVector.broadcast(S, a[r1 + q]);
      c10 = av.fma(bv0, c10);
      c11 = av.fma(bv1, c11);
      av = DoubleVector.broadcast(S, a[r2 + q]);
      c20 = av.fma(bv0, c20);
      c21 = av.fma(bv1, c21);
      av = DoubleVector.broadcast(S, a[r3 + q]);
      c30 = av.fma(bv0, c30);
      c31 = av.fma(bv1, c31);
      av = DoubleVector.broadcast(S, a[r4 + q]);
      c40 = av.fma(bv0, c40);
      c41 = av.fma(bv1, c41);
      av = DoubleVector.broadcast(S, a[r5 + q]);
      c50 = av.fma(bv0, c50);
      c51 = av.fma(bv1, c51);
      av = DoubleVector.broadcast(S, a[r6 + q]);
      c60 = av.fma(bv0, c60);
      c61 = av.fma(bv1, c61);
      av = DoubleVector.broadcast(S, a[r7 + q]);
      c70 = av.fma(bv0, c70);
      c71 = av.fma(bv1, c71);
    }
    // Written out row by row: a vector passed to a helper that is not inlined would be boxed.
    if (add) {
      c00 = c00.add(DoubleVector.fromArray(S, c, c0));
      c01 = c01.add(DoubleVector.fromArray(S, c, c0 + L));
      c10 = c10.add(DoubleVector.fromArray(S, c, c0 + ldc));
      c11 = c11.add(DoubleVector.fromArray(S, c, c0 + ldc + L));
      c20 = c20.add(DoubleVector.fromArray(S, c, c0 + 2 * ldc));
      c21 = c21.add(DoubleVector.fromArray(S, c, c0 + 2 * ldc + L));
      c30 = c30.add(DoubleVector.fromArray(S, c, c0 + 3 * ldc));
      c31 = c31.add(DoubleVector.fromArray(S, c, c0 + 3 * ldc + L));
      c40 = c40.add(DoubleVector.fromArray(S, c, c0 + 4 * ldc));
      c41 = c41.add(DoubleVector.fromArray(S, c, c0 + 4 * ldc + L));
      c50 = c50.add(DoubleVector.fromArray(S, c, c0 + 5 * ldc));
      c51 = c51.add(DoubleVector.fromArray(S, c, c0 + 5 * ldc + L));
      c60 = c60.add(DoubleVector.fromArray(S, c, c0 + 6 * ldc));
      c61 = c61.add(DoubleVector.fromArray(S, c, c0 + 6 * ldc + L));
      c70 = c70.add(DoubleVector.fromArray(S, c, c0 + 7 * ldc));
      c71 = c71.add(DoubleVector.fromArray(S, c, c0 + 7 * ldc + L));
    }
    c00.intoArray(c, c0);
    c01.intoArray(c, c0 + L);
    c10.intoArray(c, c0 + ldc);
    c11.intoArray(c, c0 + ldc + L);
    c20.intoArray(c, c0 + 2 * ldc);
    c21.intoArray(c, c0 + 2 * ldc + L);
    c30.intoArray(c, c0 + 3 * ldc);
    c31.intoArray(c, c0 + 3 * ldc + L);
    c40.intoArray(c, c0 + 4 * ldc);
    c41.intoArray(c, c0 + 4 * ldc + L);
    c50.intoArray(c, c0 + 5 * ldc);
    c51.intoArray(c, c0 + 5 * ldc + L);
    c60.intoArray(c, c0 + 6 * ldc);
    c61.intoArray(c, c0 + 6 * ldc + L);
    c70.intoArray(c, c0 + 7 * ldc);
    c71.intoArray(c, c0 + 7 * ldc + L);
  }

  /**
   * Packs rows [pc, pc+kc) × columns [jc, jc+nc) of op(B) into panels of NR columns: element (p, j)
   * goes to bp[(j / NR)·kc·NR + p·NR + j mod NR]; the last panel is padded with zeros.
   */
  private static void packB(boolean tb, double[] b, int bOff, int ldb, int pc, int kc, int jc, int nc, double[] bp) {
    for (int jr = 0; jr < nc; jr += NR) {
      int nr = Math.min(NR, nc - jr);
      int dst = jr * kc;
      if (!tb) {
        int src = bOff + pc * ldb + jc + jr;
        if (nr == NR) {
          for (int p = 0; p < kc; p++, src += ldb, dst += NR) {
            DoubleVector.fromArray(S, b, src).intoArray(bp, dst);
            DoubleVector.fromArray(S, b, src + L).intoArray(bp, dst + L);
          }
        } else {
          for (int p = 0; p < kc; p++, src += ldb, dst += NR) {
            for (int j = 0; j < nr; j++) bp[dst + j] = b[src + j];
            for (int j = nr; j < NR; j++) bp[dst + j] = 0.0;
          }
        }
      } else {
        // Column j of the panel is row (jc + jr + j) of the stored B, contiguous in p.
        for (int j = 0; j < nr; j++) {
          int src = bOff + (jc + jr + j) * ldb + pc;
          for (int p = 0; p < kc; p++) bp[dst + p * NR + j] = b[src + p];
        }
        for (int j = nr; j < NR; j++) for (int p = 0; p < kc; p++) bp[dst + p * NR + j] = 0.0;
      }
    }
  }

  /**
   * Packs rows [ic, ic+mc) × columns [pc, pc+kc) of op(A) = (stored A)ᵀ into MR-row panels,
   * interleaved: element (i, p) goes to ap[(i / MR)·MR·kc + p·MR + i mod MR]. Each p copies MR
   * adjacent elements of one stored row, so the copy streams.
   */
  private static void packTransposedA(double[] a, int aOff, int lda, int ic, int mc, int pc, int kc, double[] ap) {
    for (int ir = 0; ir < mc; ir += MR) {
      int mr = Math.min(MR, mc - ir);
      int src = aOff + pc * lda + ic + ir, dst = ir * kc;
      if (mr == MR) {
        for (int p = 0; p < kc; p++, src += lda, dst += MR) System.arraycopy(a, src, ap, dst, MR);
      } else {
        for (int p = 0; p < kc; p++, src += lda, dst += MR) for (int r = 0; r < mr; r++) ap[dst + r] = a[src + r];
      }
    }
  }

  /**
   * The rows [i0, i1) of C (+)= op(A)·op(B) without packing A, in strips of one vector of columns
   * (the last one masked), each strip by {@link #narrow}: for C at most a few vectors wide, and for
   * problems too small or too thin (few rows, short depth) to repay the blocked path. {@code bp},
   * {@code bo}, {@code bs} hold op(B) row-major as {@link #stripB} left it. Each element is one
   * multiply-add chain over p from 0, then the old C is added: the same arithmetic whatever the
   * row band, so bands may run on different threads.
   */
  static void strips(boolean ta, int i0, int i1, int n, int k, double[] a, int aOff, int lda,
      double[] bp, int bo, int bs, double[] c, int cOff, int ldc, boolean accumulate) {
    for (int j = 0; j < n; j += L) {
      narrow(ta, i0, i1, Math.min(L, n - j), k, a, aOff, lda, bp, bo + j, bs, c, cOff + j, ldc, accumulate);
    }
  }

  /**
   * op(B) for {@link #strips}: a row-major B is used in place (row p at bOff + p·ldb); a transposed
   * one is copied row-major into the calling thread's scratch (row p at p·n). Returns the array;
   * {@code at} receives {offset, row stride}.
   */
  static double[] stripB(boolean tb, int n, int k, double[] b, int bOff, int ldb, int[] at) {
    if (!tb) {
      at[0] = bOff;
      at[1] = ldb;
      return b;
    }
    double[] bt = SCRATCH.get().b(k * n + L);
    for (int j = 0; j < n; j++) {
      int src = bOff + j * ldb;
      for (int p = 0; p < k; p++) bt[p * n + j] = b[src + p];
    }
    at[0] = 0;
    at[1] = n;
    return bt;
  }

  /**
   * The rows [i0, i1) of C (+)= op(A)·op(B) for C at most one vector wide (n ≤ L): eight rows at
   * a time, each row of C one masked vector, so that each B row loaded serves eight independent
   * multiply-add chains (enough to hide the FMA latency). op(B) row p is at bp[bo + p·bs] (lanes
   * from n on are masked off). Each element is one chain over p from 0, then the old C is added.
   */
  static void narrow(boolean ta, int i0, int i1, int n, int k, double[] a, int aOff, int lda,
      double[] bp, int bo, int bs, double[] c, int cOff, int ldc, boolean accumulate) {
    int ai = ta ? 1 : lda, ap = ta ? lda : 1;
    VectorMask<Double> mask = S.indexInRange(0, n);
    double[] tmp = SCRATCH.get().tile;
    // Rows of B whose vector would reach past the array's end are copied to a short buffer first:
    // a masked access there would take the Vector API's slow, allocating path.
    int kSafe = safeRows(bp.length, bo, bs, k);
    double[] tail = tailRows(bp, bo, bs, n, kSafe, k);
    int i = i0;
    for (; i + 8 <= i1; i += 8) {
      DoubleVector c0 = DoubleVector.zero(S), c1 = DoubleVector.zero(S), c2 = DoubleVector.zero(S), c3 = DoubleVector.zero(S);
      DoubleVector c4 = DoubleVector.zero(S), c5 = DoubleVector.zero(S), c6 = DoubleVector.zero(S), c7 = DoubleVector.zero(S);
      int q = aOff + i * ai;
      // Two segments of p: the rows read in place, then those in the tail buffer.
      for (int seg = 0, p0 = 0; seg < 2; seg++) {
        double[] x = seg == 0 ? bp : tail;
        int p1 = seg == 0 ? kSafe : k, xs = seg == 0 ? bs : L;
        for (int p = p0, xi = seg == 0 ? bo : 0; p < p1; p++, q += ap, xi += xs) {
          DoubleVector bv = DoubleVector.fromArray(S, x, xi, mask);
          c0 = DoubleVector.broadcast(S, a[q]).fma(bv, c0);
          c1 = DoubleVector.broadcast(S, a[q + ai]).fma(bv, c1);
          c2 = DoubleVector.broadcast(S, a[q + 2 * ai]).fma(bv, c2);
          c3 = DoubleVector.broadcast(S, a[q + 3 * ai]).fma(bv, c3);
          c4 = DoubleVector.broadcast(S, a[q + 4 * ai]).fma(bv, c4);
          c5 = DoubleVector.broadcast(S, a[q + 5 * ai]).fma(bv, c5);
          c6 = DoubleVector.broadcast(S, a[q + 6 * ai]).fma(bv, c6);
          c7 = DoubleVector.broadcast(S, a[q + 7 * ai]).fma(bv, c7);
        }
        p0 = p1;
      }
      // Through the tile, so that no vector crosses a call (an unlined call would box it).
      c0.intoArray(tmp, 0);
      c1.intoArray(tmp, L);
      c2.intoArray(tmp, 2 * L);
      c3.intoArray(tmp, 3 * L);
      c4.intoArray(tmp, 4 * L);
      c5.intoArray(tmp, 5 * L);
      c6.intoArray(tmp, 6 * L);
      c7.intoArray(tmp, 7 * L);
      flush(tmp, 8, c, cOff + i * ldc, ldc, n, accumulate);
    }
    for (; i < i1; i++) {
      DoubleVector acc = DoubleVector.zero(S);
      int q = aOff + i * ai;
      for (int seg = 0, p0 = 0; seg < 2; seg++) {
        double[] x = seg == 0 ? bp : tail;
        int p1 = seg == 0 ? kSafe : k, xs = seg == 0 ? bs : L;
        for (int p = p0, xi = seg == 0 ? bo : 0; p < p1; p++, q += ap, xi += xs) {
          acc = DoubleVector.broadcast(S, a[q]).fma(DoubleVector.fromArray(S, x, xi, mask), acc);
        }
        p0 = p1;
      }
      acc.intoArray(tmp, 0);
      flush(tmp, 1, c, cOff + i * ldc, ldc, n, accumulate);
    }
  }

  /**
   * Rows [kSafe, k) of a matrix at x[off + p·stride] (n elements each) copied to a fresh
   * per-thread buffer at (p − kSafe)·L, zero-padded: the rows a whole vector cannot be read from in place.
   */
  private static double[] tailRows(double[] x, int off, int stride, int n, int kSafe, int k) {
    double[] t = SCRATCH.get().tail((k - kSafe) * L);
    for (int p = kSafe; p < k; p++) {
      int dst = (p - kSafe) * L;
      System.arraycopy(x, off + p * stride, t, dst, n);
      java.util.Arrays.fill(t, dst + n, dst + L, 0.0);
    }
    return t;
  }

  /** How many rows p &lt; k of a matrix at x[off + p·stride] can be read as whole vectors. */
  private static int safeRows(int length, int off, int stride, int k) {
    long room = (long) length - L - off;
    if (room < 0) return 0;
    return (int) Math.min(k, room / stride + 1);
  }

  /** Rows r &lt; rows of C (from c[ci], stride ldc) (+)= tile row r (at r·L), first n columns. */
  private static void flush(double[] tile, int rows, double[] c, int ci, int ldc, int n, boolean accumulate) {
    VectorMask<Double> mask = S.indexInRange(0, n);
    for (int r = 0; r < rows; r++, ci += ldc) {
      if (ci + L <= c.length) {
        DoubleVector v = DoubleVector.fromArray(S, tile, r * L);
        if (accumulate) v = v.add(DoubleVector.fromArray(S, c, ci, mask));
        v.intoArray(c, ci, mask);
      } else {
        // At the array's end a masked access would take the Vector API's slow, allocating path.
        for (int j = 0; j < n; j++) c[ci + j] = accumulate ? c[ci + j] + tile[r * L + j] : tile[r * L + j];
      }
    }
  }

  /**
   * C (+)= A·op(B) for a C of one or two columns whose elements are dot products of contiguous
   * runs (rows of A; columns of B stored transposed or with unit leading dimension).
   */
  static void dots(boolean tb, int m, int n, int k, double[] a, int aOff, int lda, double[] b, int bOff, int ldb,
      double[] c, int cOff, int ldc, boolean accumulate) {
    int bj = tb ? ldb : 1;
    for (int i = 0; i < m; i++) {
      int aRow = aOff + i * lda, cRow = cOff + i * ldc;
      for (int j = 0; j < n; j++) {
        double sum = dot(a, aRow, b, bOff + j * bj, k);
        c[cRow + j] = accumulate ? c[cRow + j] + sum : sum;
      }
    }
  }

  /**
   * Σ_{p&lt;k} x[xo + p]·y[yo + p]: two lane-wise partial sums over alternate vectors, added, then
   * the lanes in index order and the scalar tail (a fixed order: no lane reduction whose order
   * could change with the JIT).
   */
  private static double dot(double[] x, int xo, double[] y, int yo, int k) {
    if (k < L) {
      // The same sum as below without vectors: until C2 compiles this method, every Vector API
      // call is a real call with an allocation, which for the k = 1 products of a one-output
      // layer cost more than the arithmetic by orders of magnitude.
      double sum = 0;
      for (int p = 0; p < k; p++) sum = Math.fma(x[xo + p], y[yo + p], sum);
      return sum;
    }
    DoubleVector acc0 = DoubleVector.zero(S), acc1 = DoubleVector.zero(S);
    int p = 0;
    for (; p + 2 * L <= k; p += 2 * L) {
      acc0 = DoubleVector.fromArray(S, x, xo + p).fma(DoubleVector.fromArray(S, y, yo + p), acc0);
      acc1 = DoubleVector.fromArray(S, x, xo + p + L).fma(DoubleVector.fromArray(S, y, yo + p + L), acc1);
    }
    if (p + L <= k) {
      acc0 = DoubleVector.fromArray(S, x, xo + p).fma(DoubleVector.fromArray(S, y, yo + p), acc0);
      p += L;
    }
    DoubleVector acc = acc0.add(acc1);
    double sum = 0.0;
    for (int l = 0; l < L; l++) sum += acc.lane(l);
    for (; p < k; p++) sum = Math.fma(x[xo + p], y[yo + p], sum);
    return sum;
  }

  private static int roundUp(int x, int m) {
    return (x + m - 1) / m * m;
  }
}
