package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Matrix products of views (transposed, sliced, expanded with stride 0) equal those of copies. */
class MatmulLayoutTest {
  @ParameterizedTest
  @ValueSource(strings = {"scalar", "simd"})
  void viewsMultiplyLikeTheirCopies(String kernels) {
    Backend be = kernels.equals("scalar") ? Backends.SCALAR : Backends.SIMD;
    Backends.withCpu(be, () -> {
      Rng r = new Rng(3);
      Tensor b = Tensor.randn(r, DType.F64, 9, 5);
      Tensor[] views = {
        Tensor.randn(r, DType.F64, 1, 9).expand(7, 9),
        Tensor.randn(r, DType.F64, 7, 1).expand(7, 9),
        Tensor.randn(r, DType.F64, 9, 7).t(),
        Tensor.randn(r, DType.F64, 7, 12).slice(1, 2, 11),
        Tensor.randn(r, DType.F64, 1, 1).expand(7, 9),
      };
      for (Tensor a : views) {
        Tensor copy = Tensor.of(a.toDoubleArray(), a.shape());
        assertArrayEquals(copy.matmul(b).toDoubleArray(), a.matmul(b).toDoubleArray(), 1e-12);
        assertArrayEquals(b.t().matmul(copy.t()).toDoubleArray(), b.t().matmul(a.t()).toDoubleArray(), 1e-12);
      }
      return null;
    });
  }
}
