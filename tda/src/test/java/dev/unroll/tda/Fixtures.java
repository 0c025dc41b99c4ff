package dev.unroll.tda;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Conv2d;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Flatten;
import dev.unroll.nn.Linear;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.Module;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.ReLU;
import dev.unroll.nn.Sequential;
import dev.unroll.nn.Targets;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.stat.correlation.PearsonsCorrelation;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/** Small float64 tasks and helpers shared by the tda tests. */
public final class Fixtures {
  private Fixtures() {}

  /** Inputs [n, d] with standard normal entries. */
  public static Tensor inputs(Rng r, int n, int d) {
    return Tensor.randn(r, DType.F64, n, d);
  }

  /** Regression targets y = sin(x·w) + 0.1·noise, [n, 1]. */
  public static Targets.Regression teacherTargets(Rng r, Tensor x) {
    int n = x.dim(0), d = x.dim(1);
    double[] w = new double[d];
    for (int j = 0; j < d; j++) w[j] = r.normal() / Math.sqrt(d);
    double[] xs = x.toDoubleArray(), y = new double[n];
    for (int i = 0; i < n; i++) {
      double s = 0;
      for (int j = 0; j < d; j++) s += xs[i * d + j] * w[j];
      y[i] = Math.sin(2 * s) + 0.1 * r.normal();
    }
    return new Targets.Regression(Tensor.of(y, n, 1));
  }

  /** Labels argmax(x·W + 0.5·noise) over c classes. */
  public static Targets.Classes teacherLabels(Rng r, Tensor x, int c) {
    int n = x.dim(0), d = x.dim(1);
    double[] w = new double[d * c];
    for (int j = 0; j < w.length; j++) w[j] = r.normal();
    double[] xs = x.toDoubleArray();
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      double best = Double.NEGATIVE_INFINITY;
      for (int k = 0; k < c; k++) {
        double s = 0.5 * r.normal();
        for (int j = 0; j < d; j++) s += xs[i * d + j] * w[j * c + k];
        if (s > best) {
          best = s;
          labels[i] = k;
        }
      }
    }
    return new Targets.Classes(labels, c);
  }

  /** A tanh MLP regression task (squared error, absolute-error measurement). */
  public static AttributionTask regression(long seed, int n, int q, int... widths) {
    Rng r = new Rng(seed);
    Mlp model = Mlp.of(DType.F64, r, Activation.TANH, widths);
    Tensor x = inputs(r, n + q, widths[0]);
    Targets.Regression y = teacherTargets(r, x);
    return split(model, new MseLoss(), Measurement.absoluteError(), x, y, n, q);
  }

  /** A tanh MLP classification task (cross-entropy, margin measurement). */
  public static AttributionTask classification(long seed, int n, int q, int classes, int... widths) {
    Rng r = new Rng(seed);
    int[] w = widths.clone();
    Mlp model = Mlp.of(DType.F64, r, Activation.TANH, w);
    Tensor x = inputs(r, n + q, widths[0]);
    Targets.Classes y = teacherLabels(r, x, classes);
    return split(model, new CrossEntropyLoss(), Measurement.margin(), x, y, n, q);
  }

  /** A small convolutional classifier on [n, 2, 5, 5] inputs: Conv2d(2→3, 3x3, pad 1) → ReLU → Conv2d(3→2, 3x3, stride 2) → Flatten → Linear(8 → 3). */
  public static AttributionTask conv(long seed, int n, int q) {
    return conv(seed, n, q, 3);
  }

  /** {@link #conv(long, int, int)} with {@code classes} classes. */
  public static AttributionTask conv(long seed, int n, int q, int classes) {
    Rng r = new Rng(seed);
    Module model = new Sequential(
        new Conv2d(2, 3, 3, 1, 1, DType.F64, r), new ReLU(),
        new Conv2d(3, 2, 3, 3, 2, 0, false, DType.F64, r), new Flatten(),
        new Linear(8, classes, DType.F64, r));
    Tensor x = Tensor.randn(r, DType.F64, n + q, 2, 5, 5);
    Targets.Classes y = teacherLabels(r, x.reshape(n + q, 50), classes);
    return split(model, new CrossEntropyLoss(), Measurement.margin(), x, y, n, q);
  }

  static AttributionTask split(Module model, dev.unroll.nn.Loss loss, Measurement m, Tensor x, Targets y, int n, int q) {
    int[] tr = new int[n], qu = new int[q];
    for (int i = 0; i < n; i++) tr[i] = i;
    for (int i = 0; i < q; i++) qu[i] = n + i;
    dev.unroll.nn.data.Dataset all = new dev.unroll.nn.data.Dataset("fixture", x, y);
    return new AttributionTask(model, loss, m, all.subset(tr), all.subset(qu));
  }

  /**
   * Full-batch gradient descent on (1/N)·Σ Lₙ + (wd/2)·‖θ‖² from the model's current values;
   * returns the final values (the model is left holding them).
   */
  public static List<Tensor> train(AttributionTask t, int steps, double lr, double weightDecay) {
    Module m = t.model();
    Tensor x = t.train().x();
    Targets y = t.train().y();
    for (int s = 0; s < steps; s++) {
      List<Tensor> ps = m.parameterValues();
      Tensor loss = t.loss().mean(m.forward(x), y);
      List<Tensor> g = Derivatives.gradient(loss, ps);
      try (var off = GradMode.off()) {
        for (int i = 0; i < ps.size(); i++) ps.get(i).copyFrom(ps.get(i).sub(g.get(i).add(ps.get(i).mul(weightDecay)).mul(lr)));
      }
    }
    return values(m);
  }

  /** Detached copies of the model's current parameter values. */
  public static List<Tensor> values(Module m) {
    List<Tensor> out = new ArrayList<>();
    for (Parameter p : m.parameters()) {
      Tensor c = Tensor.zeros(p.dtype(), p.shape());
      c.copyFrom(p.value().detach());
      out.add(c);
    }
    return out;
  }

  public static double pearson(double[] a, double[] b) {
    return new PearsonsCorrelation().correlation(a, b);
  }

  public static double spearman(double[] a, double[] b) {
    return new SpearmansCorrelation().correlation(a, b);
  }

  public static double[] flatten(double[][] m) {
    int n = 0;
    for (double[] r : m) n += r.length;
    double[] out = new double[n];
    int k = 0;
    for (double[] r : m) for (double v : r) out[k++] = v;
    return out;
  }

  /** max |a − b| / max |a|. */
  public static double relativeError(double[][] expected, double[][] actual) {
    double d = 0, s = 0;
    for (int i = 0; i < expected.length; i++) {
      for (int j = 0; j < expected[i].length; j++) {
        d = Math.max(d, Math.abs(expected[i][j] - actual[i][j]));
        s = Math.max(s, Math.abs(expected[i][j]));
      }
    }
    return d / s;
  }

  public static double relativeError(double[] expected, double[] actual) {
    return relativeError(new double[][] {expected}, new double[][] {actual});
  }
}
