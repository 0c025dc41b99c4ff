package dev.unroll.autodiff;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One gradient-check case per {@link Op}: inputs (float64, seeded, kept away from kinks and ties)
 * and the function that exercises the op. Used by the gradient-check test and by
 * {@code unroll selfcheck}; an op without a case here fails the test.
 */
public final class OpCases {
  private OpCases() {}

  /** A function of some inputs that exercises one op. */
  public record Case(Op op, List<Tensor> inputs, Function<List<Tensor>, Tensor> fn) {}

  private static Tensor rand(Rng r, int... shape) {
    return Tensor.randn(r, DType.F64, shape);
  }

  /** Entries in ±[0.2, 1.2]: no value near a kink at 0. */
  private static Tensor awayFromZero(Rng r, int... shape) {
    double[] v = new double[Shape.numel(shape)];
    for (int i = 0; i < v.length; i++) v[i] = (r.uniform() < 0.5 ? -1 : 1) * (0.2 + r.uniform());
    return Tensor.of(v, shape);
  }

  /** Entries in [0.5, 2]. */
  private static Tensor positive(Rng r, int... shape) {
    return Tensor.uniform(r, DType.F64, 0.5, 2.0, shape);
  }

  /** Distinct entries spaced at least 0.05 apart (a shuffled grid plus small noise): unique maxima. */
  private static Tensor distinct(Rng r, int... shape) {
    int n = Shape.numel(shape);
    int[] p = r.permutation(n);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) v[i] = 0.1 * p[i] - 0.05 * n + 0.02 * r.uniform();
    return Tensor.of(v, shape);
  }

  /** A constant with {@code ref}'s dtype and backend, so that a case runs unchanged in float32 or on a device. */
  private static Tensor like(Tensor ref, double[] values, int... shape) {
    Tensor t = Tensor.of(ref.dtype(), values, shape);
    return ref.backend().isCpu() ? t : ref.backend().fromCpu(t);
  }

  private static Case c(Op op, List<Tensor> in, Function<List<Tensor>, Tensor> fn) {
    return new Case(op, in, fn);
  }

  /** All cases, keyed by op, built from a fixed seed. */
  public static Map<Op, Case> all() {
    Rng r = new Rng(20240523);
    Map<Op, Case> m = new EnumMap<>(Op.class);
    // Broadcasting in the binary ops exercises the engine's sum-to-shape.
    m.put(Op.ADD, c(Op.ADD, List.of(rand(r, 3, 4), rand(r, 4)), x -> x.get(0).add(x.get(1)).mul(x.get(0))));
    m.put(Op.SUB, c(Op.SUB, List.of(rand(r, 2, 1, 3), rand(r, 4, 1)), x -> x.get(0).sub(x.get(1)).square()));
    m.put(Op.MUL, c(Op.MUL, List.of(rand(r, 3, 4), rand(r, 3, 1)), x -> x.get(0).mul(x.get(1)).mul(x.get(1))));
    m.put(Op.DIV, c(Op.DIV, List.of(rand(r, 3, 4), positive(r, 4)), x -> x.get(0).div(x.get(1)).square()));
    m.put(Op.NEG, c(Op.NEG, List.of(rand(r, 5)), x -> x.get(0).neg().mul(x.get(0))));
    m.put(Op.POW, c(Op.POW, List.of(positive(r, 2, 3)), x -> x.get(0).pow(2.5)));
    m.put(Op.EXP, c(Op.EXP, List.of(rand(r, 2, 3)), x -> x.get(0).exp()));
    m.put(Op.LOG, c(Op.LOG, List.of(positive(r, 2, 3)), x -> x.get(0).log()));
    m.put(Op.SQRT, c(Op.SQRT, List.of(positive(r, 2, 3)), x -> x.get(0).sqrt()));
    m.put(Op.TANH, c(Op.TANH, List.of(rand(r, 2, 3)), x -> x.get(0).tanh()));
    m.put(Op.SIGMOID, c(Op.SIGMOID, List.of(rand(r, 2, 3)), x -> x.get(0).sigmoid()));
    m.put(Op.RELU, c(Op.RELU, List.of(awayFromZero(r, 3, 4)), x -> x.get(0).relu().square()));
    m.put(Op.SOFTPLUS, c(Op.SOFTPLUS, List.of(rand(r, 3, 4)), x -> x.get(0).mul(3).softplus()));
    m.put(Op.ABS, c(Op.ABS, List.of(awayFromZero(r, 3, 4)), x -> x.get(0).abs().mul(x.get(0))));
    m.put(Op.GELU, c(Op.GELU, List.of(rand(r, 3, 4)), x -> x.get(0).gelu()));
    m.put(Op.MATMUL, c(Op.MATMUL, List.of(rand(r, 2, 3, 4), rand(r, 4, 5)), x -> x.get(0).matmul(x.get(1)).square()));
    m.put(Op.PERMUTE, c(Op.PERMUTE, List.of(rand(r, 2, 3, 4)), x -> x.get(0).permute(2, 0, 1).matmul(x.get(0).permute(2, 1, 0))));
    m.put(Op.RESHAPE, c(Op.RESHAPE, List.of(rand(r, 2, 6)), x -> x.get(0).t().reshape(3, 4).square()));
    m.put(Op.EXPAND, c(Op.EXPAND, List.of(rand(r, 3, 1)), x -> x.get(0).expand(3, 4).mul(x.get(0))));
    m.put(Op.SLICE, c(Op.SLICE, List.of(rand(r, 4, 5)), x -> x.get(0).slice(1, 1, 4).square()));
    m.put(Op.PAD, c(Op.PAD, List.of(rand(r, 2, 3)), x -> Ops.pad(x.get(0).square(), 1, 2, 6)));
    m.put(Op.CONCAT, c(Op.CONCAT, List.of(rand(r, 2, 3), rand(r, 2, 2)), x -> Ops.concat(1, x.get(0), x.get(1).square(), x.get(0))));
    m.put(Op.GATHER, c(Op.GATHER, List.of(rand(r, 3, 4)), x -> Ops.gather(x.get(0), 1, new int[] {0, 3, 3, 1, 2, 2}, new int[] {3, 2}).square()));
    m.put(Op.SCATTER_ADD, c(Op.SCATTER_ADD, List.of(rand(r, 3, 2)), x -> Ops.scatterAdd(x.get(0).square(), 1, new int[] {0, 3, 3, 3, 2, 1}, new int[] {3, 4})));
    m.put(Op.INDEX_SELECT, c(Op.INDEX_SELECT, List.of(rand(r, 4, 3)), x -> Ops.indexSelect(x.get(0), 0, 3, 1, 1).square()));
    m.put(Op.SUM, c(Op.SUM, List.of(rand(r, 2, 3, 4)), x -> x.get(0).sum(0, 2).square()));
    m.put(Op.MEAN, c(Op.MEAN, List.of(rand(r, 2, 3, 4)), x -> x.get(0).mean(1).square()));
    m.put(Op.MAX, c(Op.MAX, List.of(distinct(r, 3, 4)), x -> x.get(0).max(1).square()));
    m.put(Op.WHERE, c(Op.WHERE, List.of(rand(r, 3, 4), rand(r, 4)),
        x -> Ops.where(like(x.get(0), new double[] {1, 0, 0, 1}, 4), x.get(0), x.get(1)).square()));
    m.put(Op.SOFTMAX, c(Op.SOFTMAX, List.of(rand(r, 3, 5)), x -> x.get(0).softmax(1)));
    m.put(Op.LOG_SOFTMAX, c(Op.LOG_SOFTMAX, List.of(rand(r, 3, 5)), x -> x.get(0).logSoftmax(-1)));
    m.put(Op.LOGSUMEXP, c(Op.LOGSUMEXP, List.of(rand(r, 3, 5)), x -> x.get(0).logsumexp(0)));
    ConvGeometry geo = new ConvGeometry(2, 2, 5, 4, 3, 2, 2, 1);
    m.put(Op.IM2COL, c(Op.IM2COL, List.of(rand(r, 2, 2, 5, 4)), x -> Ops.im2col(x.get(0), geo).square()));
    m.put(Op.COL2IM, c(Op.COL2IM, List.of(rand(r, 2, geo.rows(), geo.cols())), x -> Ops.col2im(x.get(0).square(), geo)));
    m.put(Op.CONV2D, c(Op.CONV2D, List.of(rand(r, 2, 2, 5, 5), rand(r, 3, 2, 3, 3), rand(r, 3)),
        x -> Ops.conv2d(x.get(0), x.get(1), x.get(2), 2, 1).tanh()));
    m.put(Op.MAX_POOL2D, c(Op.MAX_POOL2D, List.of(distinct(r, 2, 2, 4, 4)), x -> Ops.maxPool2d(x.get(0), 2, 2).square()));
    m.put(Op.AVG_POOL2D, c(Op.AVG_POOL2D, List.of(rand(r, 2, 2, 5, 5)), x -> Ops.avgPool2d(x.get(0), 3, 2).square()));
    m.put(Op.MSE_LOSS, c(Op.MSE_LOSS, List.of(rand(r, 4, 2), rand(r, 4, 2)), x -> Ops.mseLoss(x.get(0), x.get(1))));
    m.put(Op.CROSS_ENTROPY, c(Op.CROSS_ENTROPY, List.of(rand(r, 4, 3)), x -> Ops.crossEntropy(x.get(0), new int[] {2, 0, 1, 2})));
    m.put(Op.CONTIGUOUS, c(Op.CONTIGUOUS, List.of(rand(r, 3, 4)), x -> Ops.contiguous(x.get(0).t()).square()));
    // Inputs on a 2⁻¹⁰ grid so that x ± h survives the float32 round trip exactly.
    m.put(Op.CAST, c(Op.CAST, List.of(Tensor.of(new double[] {0.5, -1.25, 1.9990234375}, 3)), x -> x.get(0).to(DType.F32).to(DType.F64)));
    // To the scalar CPU backend and back to the input's backend (a round trip when that is a device).
    m.put(Op.TRANSFER, c(Op.TRANSFER, List.of(rand(r, 3)), x -> x.get(0).to(Backends.SCALAR).to(x.get(0).backend()).mul(x.get(0))));
    return m;
  }
}
