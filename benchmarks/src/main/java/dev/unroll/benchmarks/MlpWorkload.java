package dev.unroll.benchmarks;

import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.PerExampleGradients;
import dev.unroll.nn.Targets;
import dev.unroll.optim.Sgd;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A seeded ReLU MLP and one mini-batch of seeded inputs and targets: the model side of the
 * training-step, derivative and per-example benchmarks. With more than one output it is a
 * classifier under softmax cross-entropy with uniformly drawn labels, with one output a regressor
 * under squared error with standard normal targets (as Concrete). benchmarks/pytorch/compare.py
 * builds the same shapes, losses and step for the comparison.
 */
public final class MlpWorkload {
  /** The learning rate of the plain SGD step θ ← θ − η·∇(1/B)Σᵢ Lᵢ. */
  public static final double LR = 0.01;

  private final int[] widths;
  private final Mlp model;
  private final List<Parameter> params;
  private final List<Tensor> values;
  private final Tensor x;
  private final Targets y;
  private final Loss loss;
  private final Sgd sgd = new Sgd();

  private MlpWorkload(int[] widths, Mlp model, Tensor x, Targets y, Loss loss) {
    this.widths = widths;
    this.model = model;
    this.params = model.parameters();
    this.values = new ArrayList<>();
    for (Parameter p : params) values.add(p.value());
    this.x = x;
    this.y = y;
    this.loss = loss;
  }

  /**
   * Parses "784-256-256-10/128" (widths, then the batch size) into a workload of {@code dtype},
   * initialised from {@code seed}.
   */
  public static MlpWorkload parse(String spec, DType dtype, long seed) {
    String[] parts = spec.split("/");
    if (parts.length != 2) throw new IllegalArgumentException("MLP workload '" + spec + "': expected WIDTHS/BATCH, e.g. 784-256-256-10/128");
    int[] widths;
    int batch;
    try {
      widths = Arrays.stream(parts[0].split("-")).mapToInt(Integer::parseInt).toArray();
      batch = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("MLP workload '" + spec + "': widths and batch size must be integers, e.g. 784-256-256-10/128");
    }
    return create(widths, batch, dtype, seed);
  }

  /** An MLP of the given widths with a batch of {@code batch} examples, all drawn from {@code seed}. */
  public static MlpWorkload create(int[] widths, int batch, DType dtype, long seed) {
    if (widths.length < 2 || batch < 1) throw new IllegalArgumentException("MLP workload needs at least two widths and a positive batch, got " + Arrays.toString(widths) + " and " + batch);
    Rng rng = new Rng(seed);
    Mlp model = Mlp.of(dtype, rng, Activation.RELU, widths);
    Tensor x = Tensor.randn(rng, dtype, batch, widths[0]);
    int out = widths[widths.length - 1];
    if (out == 1) {
      return new MlpWorkload(widths.clone(), model, x, new Targets.Regression(Tensor.randn(rng, dtype, batch, 1)), new MseLoss());
    }
    int[] labels = new int[batch];
    for (int i = 0; i < batch; i++) labels[i] = rng.nextInt(out);
    return new MlpWorkload(widths.clone(), model, x, new Targets.Classes(labels, out), new CrossEntropyLoss());
  }

  /**
   * The same workload computed on {@code backend}: the model's parameters are moved there (so this
   * workload object must no longer be used) and the inputs copied; targets stay on the host (labels
   * are uploaded by the loss, regression targets follow the output).
   */
  public MlpWorkload on(Backend backend) {
    model.to(backend);
    return new MlpWorkload(widths, model, backend.isCpu() ? x : x.to(backend), y, loss);
  }

  public Mlp model() { return model; }

  public List<Tensor> parameterValues() { return values; }

  public Tensor inputs() { return x; }

  public Targets targets() { return y; }

  public Loss loss() { return loss; }

  public int batchSize() { return x.dim(0); }

  public int[] widths() { return widths.clone(); }

  /** The mean loss (1/B)·Σᵢ L(zᵢ, θ) of the batch, with its graph recorded. */
  public Tensor meanLoss() {
    return loss.mean(model.forward(x), y);
  }

  /** One SGD step: forward, backward, θ ← θ − η·g in place. Returns the loss before the step. */
  public Tensor sgdStep() {
    Tensor l = meanLoss();
    List<Tensor> g = Derivatives.gradient(l, values);
    sgd.step(params, g, LR);
    return l;
  }

  /** ∇θ of the mean loss (forward and backward). */
  public List<Tensor> gradient() {
    return Derivatives.gradient(meanLoss(), values);
  }

  /** H·v for the mean loss: forward, backward with the graph recorded, and the backward of ⟨∇, v⟩. */
  public List<Tensor> hvp(List<Tensor> v) {
    return Derivatives.hvp(meanLoss(), values, v);
  }

  /** A direction shaped like the parameters, standard normal entries from {@code seed}. */
  public List<Tensor> direction(long seed) {
    Rng rng = new Rng(seed);
    List<Tensor> v = new ArrayList<>(values.size());
    for (Tensor p : values) v.add(Tensor.randn(rng, p.dtype(), p.shape()));
    return v;
  }

  /** Per-example gradients of every parameter for every example of the batch, by the outer-product identity. */
  public List<Tensor> perExampleGradients() {
    return PerExampleGradients.compute(model, x, y, loss);
  }

  /** Per-example gradients by a loop of single-example backward passes: the baseline of the outer-product identity. */
  public List<Tensor> perExampleGradientsLoop() {
    int n = batchSize();
    List<Tensor> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Tensor xi = x.slice(0, i, i + 1);
      Targets yi = y.select(new int[] {i});
      out.addAll(Derivatives.gradient(loss.sum(model.forward(xi), yi), values));
    }
    return out;
  }
}
