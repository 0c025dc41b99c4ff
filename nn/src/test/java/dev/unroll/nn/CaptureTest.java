package dev.unroll.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Captured activations and output gradients reproduce the weight gradients of backward. */
class CaptureTest {
  static Targets classes(int n, int k, long seed) {
    Rng r = new Rng(seed);
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) labels[i] = r.nextInt(k);
    return new Targets.Classes(labels, k);
  }

  /** [∂L/∂W | ∂L/∂b] as [out, k(+1)] from backward, for comparison with the captured product. */
  static double[] homogeneousGrad(Parameter w, Parameter b) {
    int out = w.shape()[0], k = w.numel() / out;
    double[] gw = w.grad().toDoubleArray(), gb = b == null ? null : b.grad().toDoubleArray();
    int cols = k + (b == null ? 0 : 1);
    double[] m = new double[out * cols];
    for (int o = 0; o < out; o++) {
      System.arraycopy(gw, o * k, m, o * cols, k);
      if (gb != null) m[o * cols + k] = gb[o];
    }
    return m;
  }

  @Test
  void linearLayersReproduceWeightGradients() {
    Mlp m = Mlp.of(DType.F64, new Rng(1), Activation.TANH, 4, 6, 3);
    Tensor x = Tensor.randn(new Rng(2), DType.F64, 7, 4);
    Targets y = classes(7, 3, 3);
    try (Capture cap = Capture.start()) {
      Tensor loss = new CrossEntropyLoss().mean(m.forward(x), y);
      List<Tensor> ds = Autograd.grad(List.of(loss), null, cap.outputs(), false, true, true);
      loss.backward();
      List<KfacLayer> layers = cap.kfacLayers();
      assertEquals(2, layers.size());
      assertEquals("layers.0", layers.get(0).name());
      assertEquals("layers.2", layers.get(1).name());
      for (int i = 0; i < 2; i++) {
        KfacLayer l = layers.get(i);
        Linear lin = (Linear) l.layer();
        assertArrayEquals(new int[] {7, lin.in() + 1}, l.activations().shape());
        for (int n = 0; n < 7; n++) assertEquals(1.0, l.activations().get(n, lin.in()), 0);
        assertArrayEquals(homogeneousGrad(lin.weight(), lin.bias()), l.weightGradient(ds.get(i)).toDoubleArray(), 1e-14);
      }
    }
  }

  @Test
  void convLayersReproduceWeightGradients() {
    Rng rng = new Rng(4);
    Sequential net = new Sequential(new Conv2d(2, 3, 3, 1, 1, DType.F64, rng), new ReLU(),
        new ResidualBlock(3, 4, 2, DType.F64, rng), new Flatten(), new Linear(4 * 2 * 2, 3, DType.F64, rng));
    Tensor x = Tensor.randn(new Rng(5), DType.F64, 3, 2, 4, 4);
    Targets y = classes(3, 3, 6);
    try (Capture cap = Capture.start()) {
      Tensor loss = new CrossEntropyLoss().mean(net.forward(x), y);
      List<Tensor> ds = Autograd.grad(List.of(loss), null, cap.outputs(), false, true, true);
      loss.backward();
      List<KfacLayer> layers = cap.kfacLayers();
      assertEquals(List.of("0", "2.conv1", "2.conv2", "2.proj", "4"), layers.stream().map(KfacLayer::name).toList());
      KfacLayer first = layers.get(0);
      assertEquals(KfacLayer.Kind.CONV2D, first.kind());
      assertArrayEquals(new int[] {3, 2 * 9 + 1, 16}, first.activations().shape());
      assertArrayEquals(new int[] {3, 3, 16}, first.outputGradient(ds.get(0)).shape());
      for (int i = 0; i < layers.size(); i++) {
        KfacLayer l = layers.get(i);
        Parameter w = l.layer().ownParameters().get(0), b = l.layer().ownParameters().get(1);
        assertArrayEquals(homogeneousGrad(w, b), l.weightGradient(ds.get(i)).toDoubleArray(), 1e-13, l.name());
      }
    }
  }

  @Test
  void patchesAreTheInputWindows() {
    Conv2d c = new Conv2d(2, 1, 3, 3, 2, 1, true, DType.F64, new Rng(7));
    Tensor x = Tensor.randn(new Rng(8), DType.F64, 1, 2, 5, 4);
    try (Capture cap = Capture.start()) {
      c.forward(x);
      KfacLayer l = cap.kfacLayers().get(0);
      int oh = 3, ow = 2;
      assertArrayEquals(new int[] {1, 2 * 3 * 3 + 1, oh * ow}, l.activations().shape());
      for (int ci = 0; ci < 2; ci++) for (int u = 0; u < 3; u++) for (int v = 0; v < 3; v++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
        int r = i * 2 + u - 1, q = j * 2 + v - 1;
        double want = r < 0 || r >= 5 || q < 0 || q >= 4 ? 0 : x.get(0, ci, r, q);
        assertEquals(want, l.activations().get(0, (ci * 3 + u) * 3 + v, i * ow + j), 0);
      }
      for (int p = 0; p < oh * ow; p++) assertEquals(1.0, l.activations().get(0, 18, p), 0);
    }
  }

  @Test
  void scopesNestAndNothingIsRecordedOutside() {
    Linear a = new Linear(2, 2, DType.F64, new Rng(9));
    Tensor x = Tensor.randn(new Rng(10), DType.F64, 1, 2);
    try (Capture outer = Capture.start()) {
      a.forward(x);
      try (Capture inner = Capture.start()) {
        a.forward(x);
        a.forward(x);
        assertEquals(2, inner.records().size());
      }
      assertEquals(1, outer.records().size());
    }
    try (Capture c = Capture.start()) {
      assertTrue(c.records().isEmpty());
    }
  }
}
