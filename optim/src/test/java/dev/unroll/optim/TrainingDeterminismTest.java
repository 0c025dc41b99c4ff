package dev.unroll.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.ParameterVector;
import dev.unroll.nn.Targets;
import org.junit.jupiter.api.Test;

/** Mini-batch SGD on a small regression problem: the loss falls, and two runs are bit-identical. */
class TrainingDeterminismTest {
  record Run(float[] params, double firstLoss, double lastLoss) {}

  static Run train(long seed) {
    Rng data = new Rng(100);
    Tensor x = Tensor.randn(data, DType.F32, 64, 4);
    Tensor w = Tensor.randn(data, DType.F32, 4, 1);
    Targets y = new Targets.Regression(x.matmul(w).tanh().detach());
    Mlp m = Mlp.of(DType.F32, new Rng(seed), Activation.RELU, 4, 16, 1);
    Optimizer opt = OptimizerSpec.sgd(0.9, 1e-4, false).create();
    LrSchedule schedule = LrSchedule.warmup(5, LrSchedule.cosine(0.05, 0.0));
    Loss loss = new MseLoss();
    Rng order = new Rng(seed + 1);
    int steps = 40, batch = 16;
    double first = Double.NaN, last = Double.NaN;
    for (int k = 0; k < steps; k++) {
      int[] idx = new int[batch];
      int[] perm = order.permutation(64);
      System.arraycopy(perm, 0, idx, 0, batch);
      m.zeroGrad();
      Tensor l = loss.mean(m.forward(dev.unroll.autodiff.Ops.indexSelect(x, 0, idx)), y.select(idx));
      l.backward();
      opt.step(m.parameters(), m.parameters().stream().map(Parameter::grad).toList(), schedule.lr(k, steps));
      if (k == 0) first = loss.mean(m.forward(x), y).item();
    }
    last = loss.mean(m.forward(x), y).item();
    return new Run(ParameterVector.of(m).flatten(DType.F32).toFloatArray(), first, last);
  }

  @Test
  void lossFallsAndRunsRepeatBitForBit() {
    Run a = train(7), b = train(7);
    assertArrayEquals(a.params(), b.params());
    assertTrue(a.lastLoss() < 0.5 * a.firstLoss(), "loss " + a.firstLoss() + " -> " + a.lastLoss());
  }
}
