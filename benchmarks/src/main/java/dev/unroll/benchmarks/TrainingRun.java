package dev.unroll.benchmarks;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Activation;
import dev.unroll.nn.Batch;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.MseLoss;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Batches;
import dev.unroll.nn.data.DataSets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.nn.data.Standardizer;
import dev.unroll.nn.data.TrainTest;
import dev.unroll.optim.Sgd;
import java.util.ArrayList;
import java.util.List;

/**
 * A full training run of one of the paper's tasks (docs/method.md §7, SGD with momentum 0.9):
 * Concrete (896 standardised examples, MLP 8-128-128-128-1, lr 3e-2, weight decay 1e-5, batch 32,
 * 20 epochs) or FashionMNIST-N (6144 examples with 30% of labels randomised, MLP
 * 784-512-256-128-10, lr 1e-2, weight decay 3e-5, batch 64, 3 epochs). The data are loaded once;
 * a run initialises the model from its seed, then takes every step (batch gather, forward,
 * backward, update). Where the data folder lacks a set, inputs and targets of the same shapes are
 * drawn at random: the run's cost does not depend on the values.
 */
public final class TrainingRun {
  private final String task;
  private final Dataset train;
  private final int[] widths;
  private final double lr, weightDecay;
  private final int batch, epochs;
  private final Loss loss;
  private final boolean synthetic;

  private TrainingRun(String task, Dataset train, boolean synthetic, int[] widths, double lr, double weightDecay, int batch, int epochs, Loss loss) {
    this.task = task;
    this.train = train;
    this.synthetic = synthetic;
    this.widths = widths;
    this.lr = lr;
    this.weightDecay = weightDecay;
    this.batch = batch;
    this.epochs = epochs;
    this.loss = loss;
  }

  /** The run of {@code task} ("concrete" or "fashion-mnist-n") in {@code dtype}. */
  public static TrainingRun of(String task, DType dtype) {
    return switch (task) {
      case "concrete" -> {
        TrainTest tt = DataSets.split(DataSets.concrete(), 896, 103, 0);
        Dataset tr = Standardizer.fitTargets(tt.train()).transformTargets(Standardizer.fitInputs(tt.train()).transformInputs(tt.train()));
        yield new TrainingRun(task, tr.to(dtype), false, new int[] {8, 128, 128, 128, 1}, 3e-2, 1e-5, 32, 20, new MseLoss());
      }
      case "fashion-mnist-n" -> {
        Dataset tr;
        boolean synthetic = false;
        try {
          Dataset noisy = DataSets.locate(null).fashionMnistN(DataSets.FASHION_N_FRACTION, DataSets.FASHION_N_SEED).data();
          tr = DataSets.sample(noisy, 6144, 0).flattenInputs();
        } catch (RuntimeException e) {
          System.err.println("TrainingRun: FashionMNIST not available (" + e.getMessage() + "); timing on random data of the same shapes");
          Rng rng = new Rng(0);
          int[] labels = new int[6144];
          for (int i = 0; i < labels.length; i++) labels[i] = rng.nextInt(10);
          tr = new Dataset("fashion-mnist-n (synthetic)", Tensor.uniform(rng, DType.F32, 0, 1, 6144, 784), new Targets.Classes(labels, 10));
          synthetic = true;
        }
        yield new TrainingRun(task, tr.to(dtype), synthetic, new int[] {784, 512, 256, 128, 10}, 1e-2, 3e-5, 64, 3, new CrossEntropyLoss());
      }
      default -> throw new IllegalArgumentException("training run '" + task + "': expected concrete or fashion-mnist-n");
    };
  }

  public String task() { return task; }

  /** True when the data were drawn at random because the data set was not found. */
  public boolean synthetic() { return synthetic; }

  /** Steps of a run: batches per epoch (the last one short) times epochs. */
  public int steps() {
    return (train.size() + batch - 1) / batch * epochs;
  }

  /** One run from the model's initialisation with {@code seed}; returns the last mini-batch loss. */
  public double run(long seed) {
    Mlp model = Mlp.of(train.dtype(), new Rng(seed), Activation.RELU, widths);
    List<Parameter> params = model.parameters();
    List<Tensor> values = new ArrayList<>();
    for (Parameter p : params) values.add(p.value());
    Sgd sgd = new Sgd(0.9, weightDecay, false);
    Batches order = Batches.shuffled(train.size(), batch, seed, false);
    double last = Double.NaN;
    for (int e = 0; e < epochs; e++) {
      for (Batch b : order.epoch(train, e)) {
        Tensor l = loss.mean(model.forward(b.x()), b.y());
        sgd.step(params, Derivatives.gradient(l, values), lr);
        last = l.item();
      }
    }
    return last;
  }
}
