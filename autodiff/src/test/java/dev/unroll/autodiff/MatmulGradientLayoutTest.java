package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Matmul's gradient with respect to a transposed operand is formed in that operand's layout, so
 * the gradient of W in x·Wᵀ arrives row-major. Checked against central differences (with HVPs),
 * for the value layout, and bit for bit against the untransposed formula on the scalar kernels.
 */
class MatmulGradientLayoutTest {
  private static Tensor rand(Rng r, int... shape) {
    return Tensor.randn(r, DType.F64, shape);
  }

  private static void check(Function<List<Tensor>, Tensor> fn, List<Tensor> inputs) {
    for (Backend be : List.of(Backends.SCALAR, Backends.SIMD)) {
      GradCheck.Result res = Backends.withCpu(be, () -> GradCheck.check(fn, inputs, 3));
      assertTrue(res.max() <= 1e-6, be.name() + ": " + res);
    }
  }

  @Test
  void transposedRightOperand() {
    Rng r = new Rng(1);
    check(x -> x.get(0).matmul(x.get(1).t()).square(), List.of(rand(r, 5, 3), rand(r, 4, 3)));
  }

  @Test
  void transposedLeftOperand() {
    Rng r = new Rng(2);
    check(x -> x.get(0).t().matmul(x.get(1)).square(), List.of(rand(r, 3, 5), rand(r, 3, 4)));
  }

  @Test
  void transposedBatchedAndBroadcastOperands() {
    Rng r = new Rng(3);
    check(x -> x.get(0).matmul(x.get(1).t()).square(), List.of(rand(r, 2, 5, 3), rand(r, 2, 4, 3)));
    // A broadcast batch keeps the plain formula (the engine sums over the batch).
    check(x -> x.get(0).matmul(x.get(1).t()).square(), List.of(rand(r, 2, 5, 3), rand(r, 4, 3)));
  }

  @Test
  void weightGradientOfXTimesWTransposedIsRowMajorAndBitIdenticalToTheTransposeFormula() {
    Rng r = new Rng(4);
    float[] xv = Tensor.randn(r, DType.F32, 7, 5).toFloatArray(), wv = Tensor.randn(r, DType.F32, 3, 5).toFloatArray();
    float[] gv = Tensor.randn(r, DType.F32, 7, 3).toFloatArray();
    Tensor x = Tensor.of(xv, 7, 5), w = Tensor.of(wv, 3, 5).requiresGrad(true), g = Tensor.of(gv, 7, 3);
    Tensor grad = Backends.withCpu(Backends.SCALAR, () -> Derivatives.gradient(Ops.sum(x.matmul(w.t()).mul(g), false), List.of(w)).get(0));
    assertTrue(grad.isContiguous(), "the gradient of W is row-major");
    grad.floatStorage();
    // The plain formula: (xᵀ·g)ᵀ, element (o, i) = Σ_b x[b, i]·g[b, o] summed over b in order.
    float[] ref = new float[5 * 3];
    ScalarKernels.gemm(true, false, 5, 3, 7, xv, 0, 5, gv, 0, 3, ref, 0, 3, false);
    float[] expected = new float[15];
    for (int o = 0; o < 3; o++) for (int i = 0; i < 5; i++) expected[o * 5 + i] = ref[i * 3 + o];
    assertArrayEquals(expected, grad.toFloatArray());
  }
}
