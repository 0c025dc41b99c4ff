package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Bad input gets an error that names the op and the shapes, never a wrong number. */
class ErrorMessageTest {
  static void assertMessage(Executable e, String... parts) {
    Throwable t = assertThrows(RuntimeException.class, e);
    for (String p : parts) assertTrue(t.getMessage() != null && t.getMessage().contains(p), "message '" + t.getMessage() + "' lacks '" + p + "'");
  }

  @Test
  void broadcastMismatchNamesBothShapesAndOp() {
    Tensor a = Tensor.zeros(DType.F64, 2, 3), b = Tensor.zeros(DType.F64, 4, 3);
    assertMessage(() -> a.add(b), "add", "[2, 3]", "[4, 3]");
  }

  @Test
  void matmulInnerDimensionMismatch() {
    Tensor a = Tensor.zeros(DType.F64, 2, 3), b = Tensor.zeros(DType.F64, 4, 5);
    assertMessage(() -> a.matmul(b), "matmul", "[2, 3]", "[4, 5]");
  }

  @Test
  void dtypeMixingIsRefused() {
    Tensor a = Tensor.zeros(DType.F64, 2), b = Tensor.zeros(DType.F32, 2);
    assertMessage(() -> a.mul(b), "dtype", "F64", "F32");
  }

  @Test
  void reshapeToWrongSize() {
    assertMessage(() -> Tensor.zeros(DType.F64, 2, 3).reshape(4, 2), "reshape", "[2, 3]", "[4, 2]");
  }

  @Test
  void backwardThroughFreedGraphSaysSo() {
    Tensor x = Tensor.of(new double[] {1, 2}, 2).requiresGrad(true);
    Tensor y = x.exp().sum();
    Autograd.grad(List.of(y), null, List.of(x), false, false, false);
    assertMessage(() -> Autograd.grad(List.of(y), null, List.of(x), false, false, false), "freed");
  }

  @Test
  void crossEntropyLabelOutOfRange() {
    Tensor logits = Tensor.zeros(DType.F64, 2, 3);
    assertMessage(() -> Ops.crossEntropy(logits, new int[] {0, 3}), "3");
  }
}
