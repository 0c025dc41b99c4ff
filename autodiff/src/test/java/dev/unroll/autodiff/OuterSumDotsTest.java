package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** ⟨U_q, Σ_c x_c[n] y_c[n]ᵀ⟩ against the explicit float64 sum over the matrix entries. */
class OuterSumDotsTest {
  /** Entrywise oracle: Σ_{i,j} u[q, i, j]·Σ_c x_c[n, i]·y_c[n, j], with the sum of magnitudes for a tolerance. */
  private static double[][] oracle(Tensor u, Tensor[] x, Tensor[] y, int q, int b, int nx, int ny) {
    double[] uv = u.toDoubleArray();
    double[][] out = new double[2][q * b];
    for (int c = 0; c < x.length; c++) {
      double[] xv = x[c].toDoubleArray(), yv = y[c].toDoubleArray();
      for (int j = 0; j < q; j++) {
        for (int n = 0; n < b; n++) {
          double s = 0, mag = 0;
          for (int i = 0; i < nx; i++) {
            for (int k = 0; k < ny; k++) {
              double term = uv[(j * nx + i) * ny + k] * xv[n * nx + i] * yv[n * ny + k];
              s += term;
              mag += Math.abs(term);
            }
          }
          out[0][j * b + n] += s;
          out[1][j * b + n] += mag;
        }
      }
    }
    return out;
  }

  @Test
  void equalsTheEntrywiseSumForOneTwoAndThreePairsOnOneAndTwoThreads() {
    // Q not a multiple of the row group, B not a multiple of a panel, X·Y spanning two depth
    // blocks with a remainder, and the depth blocks starting inside a row of U_q.
    int q = 13, b = 45, nx = 37, ny = 29;
    assertTrue(nx * ny > OuterSumDots.KC && nx * ny % OuterSumDots.KC != 0 && OuterSumDots.KC % ny != 0);
    for (DType t : DType.values()) {
      for (int pairs = 1; pairs <= 3; pairs++) {
        Rng r = new Rng(21 + pairs);
        Tensor u = Tensor.randn(r, t, q, nx, ny);
        Tensor[] x = new Tensor[pairs], y = new Tensor[pairs];
        for (int c = 0; c < pairs; c++) {
          x[c] = Tensor.randn(r, t, b, nx);
          y[c] = Tensor.randn(r, t, b, ny);
        }
        OuterSumDots.Queries prepared = OuterSumDots.Queries.of(u, nx, ny);
        double[] one = Parallel.withThreads(1, () -> OuterSumDots.compute(prepared, x, y)).toDoubleArray();
        double[] two = Parallel.withThreads(2, () -> OuterSumDots.compute(prepared, x, y)).toDoubleArray();
        assertArrayEquals(one, two, t + ", " + pairs + " pairs: 1 vs 2 threads");
        double[][] want = oracle(u, x, y, q, b, nx, ny);
        double tol = t == DType.F32 ? 1e-5 : 1e-13;
        for (int i = 0; i < q * b; i++) assertEquals(want[0][i], one[i], tol * want[1][i], t + ", " + pairs + " pairs, entry " + i);
      }
    }
  }

  /** More queries than examples split the rows between threads instead of the columns: the same bits. */
  @Test
  void rowSplitAndColumnSplitAgree() {
    int q = 70, b = 33, nx = 40, ny = 52;
    for (DType t : DType.values()) {
      Rng r = new Rng(5);
      Tensor u = Tensor.randn(r, t, q, nx * ny);
      Tensor[] x = {Tensor.randn(r, t, b, nx), Tensor.randn(r, t, b, nx)}, y = {Tensor.randn(r, t, b, ny), Tensor.randn(r, t, b, ny)};
      OuterSumDots.Queries prepared = OuterSumDots.Queries.of(u, nx, ny);
      double[] one = Parallel.withThreads(1, () -> OuterSumDots.compute(prepared, x, y)).toDoubleArray();
      double[] two = Parallel.withThreads(2, () -> OuterSumDots.compute(prepared, x, y)).toDoubleArray();
      assertArrayEquals(one, two, t.toString());
      double[][] want = oracle(u, x, y, q, b, nx, ny);
      double tol = t == DType.F32 ? 1e-5 : 1e-13;
      for (int i = 0; i < q * b; i++) assertEquals(want[0][i], one[i], tol * want[1][i], t + ", entry " + i);
    }
  }

  /** One pair gives the scores of the rank-one kernel it generalizes (to rounding: the sums run in another order). */
  @Test
  void onePairMatchesRankOneDots() {
    int q = 9, b = 20, in = 17, out = 24;
    Rng r = new Rng(8);
    Tensor m = Tensor.randn(r, DType.F64, q, out, in), a = Tensor.randn(r, DType.F64, b, in), g = Tensor.randn(r, DType.F64, b, out);
    double[] want = RankOneDots.compute(a, g, m.reshape(q * out, in), q, out).toDoubleArray();
    double[] got = OuterSumDots.compute(OuterSumDots.Queries.of(m, out, in), new Tensor[] {g}, new Tensor[] {a}).toDoubleArray();
    assertArrayEquals(want, got, 1e-12);
  }

  @Test
  void preparedQueriesRoundTripAndConvert() {
    Rng r = new Rng(3);
    Tensor u = Tensor.randn(r, DType.F64, 11, 50, 30);
    OuterSumDots.Queries p = OuterSumDots.Queries.of(u, 50, 30);
    assertArrayEquals(u.toDoubleArray(), p.toTensor().toDoubleArray(), 0.0);
    assertArrayEquals(u.to(DType.F32).toDoubleArray(), p.to(DType.F32).toTensor().toDoubleArray(), 0.0);
    assertEquals(11, p.rows());
    // A permuted view whose rows of U_q are contiguous (queries formed as [X, Q·Y]) is read as it is.
    Tensor mt = Tensor.randn(r, DType.F32, 50, 11 * 30);
    Tensor view = mt.reshape(50, 11, 30).permute(1, 0, 2);
    assertArrayEquals(view.contiguous().toDoubleArray(), OuterSumDots.Queries.of(view, 50, 30).toTensor().toDoubleArray(), 0.0);
  }

  @Test
  void queriesBuiltRowByRowEqualTheCopiedTensorInBothDtypes() {
    // 50 × 30 = 1500 entries: the second depth block starts inside row 34 of each U_q.
    Rng r = new Rng(4);
    Tensor u = Tensor.randn(r, DType.F64, 11, 50, 30);
    double[] uv = u.toDoubleArray();
    OuterSumDots.Queries.RowSource rows = (q, i, row) -> System.arraycopy(uv, (q * 50 + i) * 30, row, 0, 30);
    for (DType dt : new DType[] {DType.F64, DType.F32}) {
      OuterSumDots.Queries built = Parallel.withThreads(2, () -> OuterSumDots.Queries.build(11, 50, 30, dt, rows));
      assertEquals(dt, built.dtype());
      assertEquals(11, built.rows());
      assertEquals(50, built.matrixRows());
      assertEquals(30, built.matrixColumns());
      assertArrayEquals(u.to(dt).toDoubleArray(), built.toTensor().toDoubleArray(), 0.0, dt.toString());
      // Scored as the copied queries are, to the bit.
      Tensor[] x = {Tensor.randn(r, dt, 9, 50)}, y = {Tensor.randn(r, dt, 9, 30)};
      assertArrayEquals(OuterSumDots.compute(OuterSumDots.Queries.of(u.to(dt), 50, 30), x, y).toDoubleArray(), OuterSumDots.compute(built, x, y).toDoubleArray(), 0.0, dt.toString());
    }
    assertThrows(IllegalArgumentException.class, () -> OuterSumDots.Queries.build(-1, 3, 4, DType.F32, rows));
  }

  /** The first call (interpreted kernels) and the hundredth (compiled) give the same bits. */
  @Test
  void sameBitsBeforeAndAfterCompilation() {
    int q = 10, b = 40, nx = 30, ny = 40;
    for (DType t : DType.values()) {
      Rng r = new Rng(17);
      OuterSumDots.Queries u = OuterSumDots.Queries.of(Tensor.randn(r, t, q, nx * ny), nx, ny);
      Tensor[] x = {Tensor.randn(r, t, b, nx), Tensor.randn(r, t, b, nx)}, y = {Tensor.randn(r, t, b, ny), Tensor.randn(r, t, b, ny)};
      double[] first = OuterSumDots.compute(u, x, y).toDoubleArray();
      for (int rep = 0; rep < 200; rep++) assertArrayEquals(first, OuterSumDots.compute(u, x, y).toDoubleArray(), t + " at call " + rep);
    }
  }

  @Test
  void mismatchedShapesAndDtypesAreNamed() {
    Rng r = new Rng(12);
    OuterSumDots.Queries u = OuterSumDots.Queries.of(Tensor.randn(r, DType.F64, 5, 3, 2), 3, 2);
    Tensor x = Tensor.randn(r, DType.F64, 4, 3), y = Tensor.randn(r, DType.F64, 4, 2), yBad = Tensor.randn(r, DType.F64, 4, 5);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OuterSumDots.compute(u, new Tensor[] {x}, new Tensor[] {yBad}));
    assertTrue(e.getMessage().contains("[4, 5]") && e.getMessage().contains("[B, 2]"), e.getMessage());
    IllegalArgumentException d = assertThrows(IllegalArgumentException.class, () -> OuterSumDots.compute(u, new Tensor[] {x.to(DType.F32)}, new Tensor[] {y.to(DType.F32)}));
    assertTrue(d.getMessage().contains("F32") || d.getMessage().contains("float32"), d.getMessage());
    IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> OuterSumDots.compute(u, new Tensor[] {x, x}, new Tensor[] {y}));
    assertTrue(n.getMessage().contains("2 left and 1 right"), n.getMessage());
    IllegalArgumentException s = assertThrows(IllegalArgumentException.class, () -> OuterSumDots.Queries.of(Tensor.randn(r, DType.F64, 5, 7), 3, 2));
    assertTrue(s.getMessage().contains("[5, 7]") && s.getMessage().contains("3 × 2"), s.getMessage());
  }
}
