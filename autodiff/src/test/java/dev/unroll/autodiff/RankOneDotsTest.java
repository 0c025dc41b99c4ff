package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** ⟨gₙaₙᵀ, U_q⟩ against the explicit sum over the matrix entries, over several query chunks. */
class RankOneDotsTest {
  @Test
  void equalsTheEntrywiseSumOnOneAndTwoThreads() {
    int b = 37, in = 29, out = 33, q = 71; // b·out·q spans several chunks; sizes not multiples of a vector
    assertTrue((long) b * out * q > RankOneDots.CHUNK_ELEMENTS);
    for (DType t : DType.values()) {
      Rng r = new Rng(11);
      Tensor a = Tensor.randn(r, t, b, in), g = Tensor.randn(r, t, b, out), u = Tensor.randn(r, t, q * out, in);
      double[] av = a.toDoubleArray(), gv = g.toDoubleArray(), uv = u.toDoubleArray();
      double[] one = Parallel.withThreads(1, () -> RankOneDots.compute(a, g, u, q, out)).toDoubleArray();
      double[] two = Parallel.withThreads(2, () -> RankOneDots.compute(a, g, u, q, out)).toDoubleArray();
      assertArrayEquals(one, two, t + ": 1 vs 2 threads");
      double tol = t == DType.F32 ? 1e-4 : 1e-12;
      for (int j = 0; j < q; j++) {
        for (int n = 0; n < b; n++) {
          double s = 0, mag = 0;
          for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
              double term = gv[n * out + o] * av[n * in + i] * uv[(j * out + o) * in + i];
              s += term;
              mag += Math.abs(term);
            }
          }
          assertEquals(s, one[j * b + n], tol * mag, t + " at query " + j + ", example " + n);
        }
      }
    }
  }

  /** The first call (interpreted kernels) and the hundredth (compiled) give the same bits. */
  @Test
  void sameBitsBeforeAndAfterCompilation() {
    int b = 16, in = 40, out = 48, q = 5;
    for (DType t : DType.values()) {
      Rng r = new Rng(13);
      Tensor a = Tensor.randn(r, t, b, in), g = Tensor.randn(r, t, b, out), u = Tensor.randn(r, t, q * out, in);
      double[] first = RankOneDots.compute(a, g, u, q, out).toDoubleArray();
      for (int rep = 0; rep < 300; rep++) assertArrayEquals(first, RankOneDots.compute(a, g, u, q, out).toDoubleArray(), t + " at call " + rep);
    }
  }

  @Test
  void mismatchedShapesAreNamed() {
    Rng r = new Rng(12);
    Tensor a = Tensor.randn(r, DType.F64, 4, 3), g = Tensor.randn(r, DType.F64, 4, 2), u = Tensor.randn(r, DType.F64, 5, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RankOneDots.compute(a, g, u, 3, 2));
    assertTrue(e.getMessage().contains("[5, 3]") && e.getMessage().contains("[6, in]"), e.getMessage());
  }
}
