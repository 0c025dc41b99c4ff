package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Elementwise kernels large enough to be split over threads ({@link CpuBackend#PARALLEL_MIN}) give
 * the same bits on one and on two threads, and the value an element-by-element reference computes
 * from the inputs' own arrays: the split must land every block at the right offset of every operand,
 * broadcast and strided ones included.
 */
class ElementwiseThreadsTest {
  private static final Rng RNG = new Rng(7);

  private static double[] both(Supplier<Tensor> op) {
    assumeTrue(Parallel.configuredThreads() > 1, "needs a pool of two threads or more");
    double[] one = Parallel.withThreads(1, op).toDoubleArray();
    double[] two = Parallel.withThreads(2, op).toDoubleArray();
    assertArrayEquals(one, two, "1 vs 2 threads");
    return two;
  }

  @Test
  void broadcastOuterProductSplitsAlongExamples() {
    int n = 37, out = 41, in = 53; // n·out·in > PARALLEL_MIN; odd sizes so blocks are uneven
    assertTrue(n * out * in > CpuBackend.PARALLEL_MIN);
    for (DType t : DType.values()) {
      Tensor g = Tensor.randn(RNG, t, n, out), a = Tensor.randn(RNG, t, n, in);
      double[] z = both(() -> g.reshape(n, out, 1).mul(a.reshape(n, 1, in)));
      double[] gv = g.toDoubleArray(), av = a.toDoubleArray();
      for (int i = 0; i < n; i++) {
        for (int o = 0; o < out; o++) {
          for (int k = 0; k < in; k++) {
            double want = t == DType.F32 ? (double) ((float) gv[i * out + o] * (float) av[i * in + k]) : gv[i * out + o] * av[i * in + k];
            assertEquals(want, z[(i * out + o) * in + k], 0.0, t + " at " + i + "," + o + "," + k);
          }
        }
      }
    }
  }

  @Test
  void stridedUnaryAndCopyOfATranspose() {
    int r = 300, c = 257;
    for (DType t : DType.values()) {
      Tensor x = Tensor.randn(RNG, t, r, c);
      double[] xv = x.toDoubleArray();
      double[] ex = Parallel.withThreads(1, x::exp).toDoubleArray();
      double[] e = both(() -> x.t().exp());
      double[] copy = both(() -> x.t().contiguous());
      for (int j = 0; j < c; j++) {
        for (int i = 0; i < r; i++) {
          assertEquals(xv[i * c + j], copy[j * r + i], 0.0, t + " copy at " + j + "," + i);
          double want = ex[i * c + j];
          // A vector lane and a scalar tail may round exp differently by an ulp.
          assertEquals(want, e[j * r + i], (t == DType.F32 ? 1e-6 : 1e-14) * want, t + " exp at " + j + "," + i);
        }
      }
    }
  }

  @Test
  void contiguousUnaryBinaryAndMaskedProduct() {
    int n = 3 * CpuBackend.PARALLEL_MIN + 5;
    for (DType t : DType.values()) {
      Tensor a = Tensor.randn(RNG, t, n), b = Tensor.randn(RNG, t, n);
      double[] av = a.toDoubleArray(), bv = b.toDoubleArray();
      double[] r = both(a::relu);
      double[] s = both(() -> a.sub(b));
      double[] m = both(() -> Backends.cpu().mulStep(b, a));
      for (int i = 0; i < n; i++) {
        assertEquals(Math.max(av[i], 0), r[i], 0.0, t + " relu at " + i);
        double d = t == DType.F32 ? (double) ((float) av[i] - (float) bv[i]) : av[i] - bv[i];
        assertEquals(d, s[i], 0.0, t + " sub at " + i);
        assertEquals(av[i] > 0 ? bv[i] : 0.0, m[i], 0.0, t + " mulStep at " + i);
      }
    }
  }
}
