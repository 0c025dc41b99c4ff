package dev.unroll.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Flat views of the parameters and back, and the loss at arbitrary flat parameters. */
class ParameterVectorTest {
  @Test
  void layoutAndRoundTrip() {
    Mlp m = Mlp.of(DType.F64, new Rng(1), Activation.TANH, 3, 4, 2);
    ParameterVector pv = ParameterVector.of(m);
    assertEquals(m.numParameters(), pv.size());
    assertEquals(List.of(0, 12, 16, 24), List.of(pv.offset(0), pv.offset(1), pv.offset(2), pv.offset(3)));
    Tensor flat = pv.flatten(DType.F64);
    // Entries in parameter order, each row-major.
    int at = 0;
    for (Parameter p : m.parameters()) {
      for (double v : p.value().toDoubleArray()) assertEquals(v, flat.get(at++), 0);
    }
    Tensor other = Tensor.randn(new Rng(2), DType.F64, pv.size());
    pv.assign(other);
    assertArrayEquals(other.toDoubleArray(), pv.flatten(DType.F64).toDoubleArray(), 0);
    List<Tensor> pieces = pv.split(other);
    for (int i = 0; i < pieces.size(); i++) {
      assertArrayEquals(m.parameters().get(i).value().toDoubleArray(), pieces.get(i).toDoubleArray(), 0);
      assertArrayEquals(pv.shape(i), pieces.get(i).shape());
    }
    assertArrayEquals(other.toDoubleArray(), pv.flatten(pieces, DType.F64).toDoubleArray(), 0);
  }

  @Test
  void float32ParametersFlattenToFloat64Exactly() {
    Mlp m = Mlp.of(DType.F32, new Rng(3), Activation.RELU, 2, 3, 1);
    ParameterVector pv = ParameterVector.of(m);
    Tensor f64 = pv.flatten(DType.F64);
    assertEquals(DType.F64, f64.dtype());
    pv.assign(f64);
    assertArrayEquals(f64.toFloatArray(), pv.flatten(DType.F32).toFloatArray());
  }

  @Test
  void gradientThroughSplitEqualsFlatGradient() {
    Mlp m = Mlp.of(DType.F64, new Rng(4), Activation.TANH, 3, 4, 2);
    ParameterVector pv = ParameterVector.of(m);
    Tensor x = Tensor.randn(new Rng(5), DType.F64, 6, 3);
    Targets y = new Targets.Regression(Tensor.randn(new Rng(6), DType.F64, 6, 2));
    Loss loss = new MseLoss();
    Tensor theta = pv.flatten(DType.F64).requiresGrad(true);
    Tensor l = m.withParameters(pv.split(theta), () -> loss.mean(m.forward(x), y));
    Tensor gFlat = Autograd.grad(l, List.of(theta)).get(0);
    m.zeroGrad();
    loss.mean(m.forward(x), y).backward();
    List<Tensor> g = m.parameters().stream().map(Parameter::grad).toList();
    assertArrayEquals(pv.flatten(g, DType.F64).toDoubleArray(), gFlat.toDoubleArray(), 1e-15);
    // The parameters are restored after withParameters.
    assertTrue(m.parameters().get(0).value().isLeaf());
  }

  @Test
  void hessianVectorProductAtFlatParametersMatchesExplicitHessian() {
    Mlp m = Mlp.of(DType.F64, new Rng(7), Activation.TANH, 2, 3, 1);
    ParameterVector pv = ParameterVector.of(m);
    Tensor x = Tensor.randn(new Rng(8), DType.F64, 5, 2);
    Targets y = new Targets.Regression(Tensor.randn(new Rng(9), DType.F64, 5, 1));
    Loss loss = new MseLoss();
    Tensor theta0 = Tensor.randn(new Rng(10), DType.F64, pv.size());
    double[][] h = Derivatives.hessian(t -> m.withParameters(pv.split(t), () -> loss.mean(m.forward(x), y)), theta0);
    List<Tensor> params = pv.split(theta0.detach());
    List<Tensor> leaves = params.stream().map(t -> t.contiguous().detach().requiresGrad(true)).toList();
    Tensor l = m.withParameters(leaves, () -> loss.mean(m.forward(x), y));
    Tensor v = Tensor.randn(new Rng(11), DType.F64, pv.size());
    Tensor hv = pv.flatten(Derivatives.hvp(l, leaves, pv.split(v)), DType.F64);
    double[] vs = v.toDoubleArray();
    for (int i = 0; i < pv.size(); i++) {
      double s = 0;
      for (int j = 0; j < pv.size(); j++) s += h[i][j] * vs[j];
      assertEquals(s, hv.get(i), 1e-12);
    }
  }

  @Test
  void wrongSizeIsAnError() {
    ParameterVector pv = ParameterVector.of(new Linear(2, 2, DType.F64, new Rng(12)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pv.assign(Tensor.zeros(DType.F64, 5)));
    assertTrue(e.getMessage().contains("[5]") && e.getMessage().contains("[6]"), e.getMessage());
  }
}
