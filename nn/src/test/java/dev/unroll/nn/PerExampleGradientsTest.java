package dev.unroll.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Per-example gradients by outer products against a loop of single-example backward passes. */
class PerExampleGradientsTest {
  static final double TOL = 1e-10;

  static void compareWithLoop(Module model, Tensor x, Targets y, Loss loss) {
    List<Tensor> fast = PerExampleGradients.compute(model, x, y, loss);
    List<Parameter> ps = model.parameters();
    Tensor flat = PerExampleGradients.flat(model, x, y, loss);
    ParameterVector pv = ParameterVector.of(model);
    assertArrayEquals(new int[] {x.dim(0), pv.size()}, flat.shape());
    for (int i = 0; i < x.dim(0); i++) {
      int[] row = {i};
      model.zeroGrad();
      loss.mean(model.forward(Ops.indexSelect(x, 0, row)), y.select(row)).backward();
      for (int p = 0; p < ps.size(); p++) {
        double[] want = ps.get(p).grad().toDoubleArray();
        double[] got = fast.get(p).slice(0, i, i + 1).contiguous().toDoubleArray();
        assertArrayEquals(want, got, TOL, ps.get(p).name() + ", example " + i);
        for (int j = 0; j < want.length; j++) assertEquals(want[j], flat.get(i, pv.offset(p) + j), TOL);
      }
    }
  }

  @Test
  void mlpRegression() {
    Mlp m = Mlp.of(DType.F64, new Rng(1), Activation.GELU, 3, 5, 4, 2);
    Tensor x = Tensor.randn(new Rng(2), DType.F64, 6, 3);
    compareWithLoop(m, x, new Targets.Regression(Tensor.randn(new Rng(3), DType.F64, 6, 2)), new MseLoss());
  }

  @Test
  void linearOnSequencesSumsOverRows() {
    Rng rng = new Rng(4);
    Sequential s = new Sequential(new Linear(3, 4, DType.F64, rng), new Tanh(), new Flatten(), new Linear(8, 2, false, DType.F64, rng));
    Tensor x = Tensor.randn(new Rng(5), DType.F64, 5, 2, 3);
    compareWithLoop(s, x, new Targets.Classes(new int[] {0, 1, 1, 0, 1}, 2), new CrossEntropyLoss());
  }

  @Test
  void convNetClassification() {
    Rng rng = new Rng(6);
    Sequential net = new Sequential(new Conv2d(1, 2, 3, 1, 1, DType.F64, rng), new ReLU(), new ResidualBlock(2, 3, 2, DType.F64, rng),
        new AvgPool2d(2), new Flatten(), new Linear(3, 4, DType.F64, rng));
    Tensor x = Tensor.randn(new Rng(7), DType.F64, 4, 1, 4, 4);
    compareWithLoop(net, x, new Targets.Classes(new int[] {3, 0, 2, 1}, 4), new CrossEntropyLoss());
  }

  @Test
  void linearOuterProductHelper() {
    Tensor a = Tensor.randn(new Rng(8), DType.F64, 3, 4), g = Tensor.randn(new Rng(9), DType.F64, 3, 2);
    Tensor w = PerExampleGradients.linear(a, g);
    for (int n = 0; n < 3; n++) for (int o = 0; o < 2; o++) for (int i = 0; i < 4; i++) {
      assertEquals(g.get(n, o) * a.get(n, i), w.get(n, o, i), 0);
    }
  }

  @Test
  void parametersOutsideCapturingLayersAreAnError() {
    Module odd = new Module() {
      final Parameter scale = addParameter("scale", Tensor.ones(DType.F64, 1));

      @Override
      public Tensor forward(Tensor x) {
        return x.mul(scale.value());
      }
    };
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PerExampleGradients.compute(odd, Tensor.ones(DType.F64, 2, 1), new Targets.Regression(Tensor.ones(DType.F64, 2, 1)), new MseLoss()));
    assertEquals(true, e.getMessage().contains("'scale'"), e.getMessage());
  }
}
