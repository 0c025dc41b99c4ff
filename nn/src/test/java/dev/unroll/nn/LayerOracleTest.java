package dev.unroll.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Forward values of the layers against explicit loops, and the structure of parameter names. */
class LayerOracleTest {
  @Test
  void linearMatchesLoop() {
    Linear l = new Linear(4, 3, DType.F64, new Rng(1));
    Tensor x = Tensor.randn(new Rng(2), DType.F64, 5, 4);
    double[] w = l.weight().value().toDoubleArray(), b = l.bias().value().toDoubleArray(), xs = x.toDoubleArray();
    double[] y = l.forward(x).toDoubleArray();
    for (int n = 0; n < 5; n++) {
      for (int o = 0; o < 3; o++) {
        double s = b[o];
        for (int i = 0; i < 4; i++) s += xs[n * 4 + i] * w[o * 4 + i];
        assertEquals(s, y[n * 3 + o], 1e-14);
      }
    }
  }

  @Test
  void convMatchesLoop() {
    int n = 2, c = 2, h = 5, wd = 6, o = 3, k = 3, stride = 2, pad = 1;
    Conv2d conv = new Conv2d(c, o, k, stride, pad, DType.F64, new Rng(3));
    Tensor x = Tensor.randn(new Rng(4), DType.F64, n, c, h, wd);
    double[] w = conv.weight().value().toDoubleArray(), b = conv.bias().value().toDoubleArray(), xs = x.toDoubleArray();
    Tensor y = conv.forward(x);
    int oh = (h + 2 * pad - k) / stride + 1, ow = (wd + 2 * pad - k) / stride + 1;
    assertArrayEquals(new int[] {n, o, oh, ow}, y.shape());
    for (int ni = 0; ni < n; ni++) for (int oi = 0; oi < o; oi++) for (int i = 0; i < oh; i++) for (int j = 0; j < ow; j++) {
      double s = b[oi];
      for (int ci = 0; ci < c; ci++) for (int u = 0; u < k; u++) for (int v = 0; v < k; v++) {
        int r = i * stride + u - pad, q = j * stride + v - pad;
        if (r < 0 || r >= h || q < 0 || q >= wd) continue;
        s += w[((oi * c + ci) * k + u) * k + v] * xs[((ni * c + ci) * h + r) * wd + q];
      }
      assertEquals(s, y.get(ni, oi, i, j), 1e-13);
    }
  }

  @Test
  void poolingMatchesLoop() {
    Tensor x = Tensor.randn(new Rng(5), DType.F64, 1, 2, 4, 4);
    Tensor mx = new MaxPool2d(2).forward(x), av = new AvgPool2d(2).forward(x);
    for (int c = 0; c < 2; c++) for (int i = 0; i < 2; i++) for (int j = 0; j < 2; j++) {
      double m = Double.NEGATIVE_INFINITY, s = 0;
      for (int u = 0; u < 2; u++) for (int v = 0; v < 2; v++) {
        double e = x.get(0, c, 2 * i + u, 2 * j + v);
        m = Math.max(m, e);
        s += e;
      }
      assertEquals(m, mx.get(0, c, i, j), 0);
      assertEquals(s / 4, av.get(0, c, i, j), 1e-15);
    }
  }

  @Test
  void residualBlockIsConvReluConvPlusSkip() {
    Rng rng = new Rng(6);
    ResidualBlock same = new ResidualBlock(2, DType.F64, rng);
    assertNull(same.projection());
    Tensor x = Tensor.randn(new Rng(7), DType.F64, 2, 2, 4, 4);
    Tensor want = same.conv2().forward(same.conv1().forward(x).relu()).add(x);
    assertArrayEquals(want.toDoubleArray(), same.forward(x).toDoubleArray(), 0);
    ResidualBlock down = new ResidualBlock(2, 4, 2, DType.F64, rng);
    assertNotNull(down.projection());
    Tensor y = down.forward(x);
    assertArrayEquals(new int[] {2, 4, 2, 2}, y.shape());
    Tensor want2 = down.conv2().forward(down.conv1().forward(x).relu()).add(down.projection().forward(x));
    assertArrayEquals(want2.toDoubleArray(), y.toDoubleArray(), 0);
  }

  @Test
  void parameterNamesAreDottedPaths() {
    Mlp m = Mlp.of(DType.F32, new Rng(8), Activation.RELU, 3, 4, 2);
    List<String> names = m.parameters().stream().map(Parameter::name).toList();
    assertEquals(List.of("layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"), names);
    assertEquals(3 * 4 + 4 + 4 * 2 + 2, m.numParameters());
    Rng rng = new Rng(9);
    Sequential s = new Sequential(new ResidualBlock(1, 2, 1, DType.F32, rng), new Flatten());
    List<String> rn = s.parameters().stream().map(Parameter::name).toList();
    assertEquals(List.of("0.conv1.weight", "0.conv1.bias", "0.conv2.weight", "0.conv2.bias", "0.proj.weight", "0.proj.bias"), rn);
    assertEquals("0.conv2", ((ResidualBlock) s.get(0)).conv2().displayName());
  }

  @Test
  void aModuleHasOneParent() {
    Linear l = new Linear(2, 2, DType.F64, new Rng(10));
    new Sequential(l);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Sequential(l));
    assertTrue(e.getMessage().contains("already has a parent"), e.getMessage());
  }

  @Test
  void badInputNamesLayerAndShapes() {
    Sequential s = new Sequential(new Linear(3, 2, DType.F64, new Rng(11)));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.forward(Tensor.zeros(DType.F64, 4, 5)));
    assertTrue(e.getMessage().contains("0 (Linear 3 -> 2)") && e.getMessage().contains("[4, 5]"), e.getMessage());
  }

  @Test
  void stateDictRoundTrip() {
    Mlp a = Mlp.of(DType.F64, new Rng(12), Activation.TANH, 3, 4, 2);
    Mlp b = Mlp.of(DType.F64, new Rng(13), Activation.TANH, 3, 4, 2);
    b.loadStateDict(a.stateDict());
    Tensor x = Tensor.randn(new Rng(14), DType.F64, 5, 3);
    assertArrayEquals(a.forward(x).toDoubleArray(), b.forward(x).toDoubleArray(), 0);
  }
}
