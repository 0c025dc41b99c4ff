package dev.unroll.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradCheck;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every layer's input and parameter gradients, first and second order, against central finite
 * differences in float64 ({@link GradCheck}): the layer is evaluated at the checked values through
 * {@link Module#withParameters}.
 */
class LayerGradCheckTest {
  static final double TOL = 1e-6;

  static void check(Module m, Tensor x, long seed) {
    List<Tensor> inputs = new ArrayList<>();
    inputs.add(x);
    inputs.addAll(m.parameterValues());
    Function<List<Tensor>, Tensor> fn = xs -> m.withParameters(xs.subList(1, xs.size()), () -> m.forward(xs.get(0)));
    GradCheck.Result r = GradCheck.check(fn, inputs, seed);
    assertTrue(r.gradError() <= TOL, m + ": gradient vs finite differences " + r.gradError());
    assertTrue(r.dualityError() <= TOL, m + ": duality " + r.dualityError());
    assertTrue(r.hvpError() <= TOL, m + ": Hessian-vector product " + r.hvpError());
  }

  static Tensor input(long seed, int... shape) {
    return Tensor.randn(new Rng(seed), DType.F64, shape);
  }

  @Test
  void linear() {
    check(new Linear(4, 3, DType.F64, new Rng(1)), input(2, 5, 4), 3);
    check(new Linear(4, 3, false, DType.F64, new Rng(1)), input(2, 5, 4), 4);
  }

  @Test
  void linearOnRank3Input() {
    check(new Linear(3, 2, DType.F64, new Rng(5)), input(6, 2, 4, 3), 7);
  }

  @Test
  void conv2d() {
    check(new Conv2d(2, 3, 3, 1, 1, DType.F64, new Rng(8)), input(9, 2, 2, 5, 5), 10);
    check(new Conv2d(2, 3, 2, 3, 2, 0, false, DType.F64, new Rng(11)), input(12, 2, 2, 6, 5), 13);
  }

  @Test
  void pooling() {
    check(new AvgPool2d(2), input(14, 2, 3, 4, 4), 15);
    // Continuous inputs make ties in a window (where max is not differentiable) have probability 0.
    check(new MaxPool2d(2, 1), input(16, 2, 2, 4, 5), 17);
  }

  @Test
  void activationsAndFlatten() {
    check(new Tanh(), input(18, 3, 4), 19);
    check(new GELU(), input(20, 3, 4), 21);
    check(new ReLU(), input(22, 3, 4), 23);
    check(new Flatten(), input(24, 2, 3, 2, 2), 25);
  }

  @Test
  void mlpAndSequential() {
    check(Mlp.of(DType.F64, new Rng(26), Activation.TANH, 3, 5, 4, 2), input(27, 6, 3), 28);
    Rng rng = new Rng(29);
    check(new Sequential(new Conv2d(1, 2, 3, 1, 1, DType.F64, rng), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(8, 3, DType.F64, rng)), input(30, 2, 1, 4, 4), 31);
  }

  @Test
  void residualBlock() {
    check(new ResidualBlock(2, DType.F64, new Rng(32)), input(33, 2, 2, 4, 4), 34);
    check(new ResidualBlock(2, 3, 2, DType.F64, new Rng(35)), input(36, 2, 2, 5, 5), 37);
  }
}
