package dev.unroll.experiments.paper;

/**
 * A training recipe of the paper's experiments (method.md §7): SGD with heavy-ball momentum on an
 * MLP, with the data sizes, learning rate, weight decay, batch size and epochs the literature uses.
 *
 * @param task        the experiment name, as typed after {@code ./unroll experiment}
 * @param widths      MLP layer widths, input first
 * @param trainSize   training examples
 * @param querySize   query examples (held out)
 * @param lr          constant learning rate
 * @param momentum    heavy-ball momentum β
 * @param weightDecay L2 weight decay added to the gradient
 * @param batchSize   mini-batch size
 * @param epochs      passes over the training set
 */
public record Recipe(String task, int[] widths, int trainSize, int querySize, double lr, double momentum, double weightDecay, int batchSize, int epochs) {
  /** UCI Concrete, converged: MLP 8-128-128-128-1, lr 3e-2, wd 1e-5, batch 32, 20 epochs. */
  public static Recipe concrete() {
    return new Recipe("concrete", new int[] {8, 128, 128, 128, 1}, 896, 103, 3e-2, 0.9, 1e-5, 32, 20);
  }

  /** UCI Concrete stopped early (3 epochs): the non-converged setting. */
  public static Recipe concreteEarly() {
    return new Recipe("concrete-early", new int[] {8, 128, 128, 128, 1}, 896, 103, 3e-2, 0.9, 1e-5, 32, 3);
  }

  /** UCI Parkinsons telemonitoring: MLP in-128-128-128-1, lr 1e-2, wd 3e-5, batch 32, 20 epochs. */
  public static Recipe parkinsons(int inputs) {
    return new Recipe("parkinsons", new int[] {inputs, 128, 128, 128, 1}, 5280, 100, 1e-2, 0.9, 3e-5, 32, 20);
  }

  /** FashionMNIST subset: MLP 784-512-256-128-10, lr 3e-2, wd 1e-3, batch 64, 20 epochs. */
  public static Recipe fashionMnist() {
    return new Recipe("fashion-mnist", new int[] {784, 512, 256, 128, 10}, 6144, 100, 3e-2, 0.9, 1e-3, 64, 20);
  }

  /** FashionMNIST-N (30% labels randomised), lr 1e-2, wd 3e-5, batch 64, 3 epochs: non-converged. */
  public static Recipe fashionMnistN() {
    return new Recipe("fashion-mnist-n", new int[] {784, 512, 256, 128, 10}, 6144, 100, 1e-2, 0.9, 3e-5, 64, 3);
  }

  /**
   * Rotated MNIST, continual (one stage per angle, {@code trainSize} examples each): MLP
   * 784-256-128-10, lr 1e-2, momentum 0.9, wd 1e-4, batch 64, 3 epochs per stage.
   */
  public static Recipe rotatedMnist() {
    return new Recipe("rotated-mnist", new int[] {784, 256, 128, 10}, 2000, 100, 1e-2, 0.9, 1e-4, 64, 3);
  }

  /** FashionMNIST with a small CNN (widths unused: the model is a ModelSpec cnn), lr 3e-2, wd 1e-3, batch 64, 5 epochs. */
  public static Recipe cnnFashion() {
    return new Recipe("cnn", null, 2048, 100, 3e-2, 0.9, 1e-3, 64, 5);
  }

  /** A user's CSV: MLP inputs-128-128-128-1 as Concrete (lr 3e-2, wd 1e-5, batch 32, 20 epochs); sizes set by the data. */
  public static Recipe csv(int inputs, int trainSize, int querySize) {
    return new Recipe("csv", new int[] {inputs, 128, 128, 128, 1}, trainSize, querySize, 3e-2, 0.9, 1e-5, 32, 20);
  }

  public Recipe withEpochs(int e) {
    return new Recipe(task, widths, trainSize, querySize, lr, momentum, weightDecay, batchSize, e);
  }

  public Recipe withTrainSize(int n) {
    return new Recipe(task, widths, n, querySize, lr, momentum, weightDecay, batchSize, epochs);
  }

  public int stepsPerEpoch(int n) {
    return (n + batchSize - 1) / batchSize;
  }
}
