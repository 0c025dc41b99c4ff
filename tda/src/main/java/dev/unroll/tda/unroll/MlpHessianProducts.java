package dev.unroll.tda.unroll;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Parallel;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Loss;
import dev.unroll.nn.Module;
import dev.unroll.nn.data.Dataset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Hessian (or the Gauss-Newton matrix) of a mean training loss applied to many vectors in one
 * sweep over the training set, on a multilayer perceptron:
 * <pre>  H·vₖ = (1/n)·Σⱼ ∇²_θ ℓ(f(xⱼ; θ), yⱼ)·vₖ   for every k,</pre>
 * over the first n training examples, batch by batch. Each batch's primal pass (activations, their
 * derivatives, the backward pass) is computed once and shared by all vectors, whose tangents then
 * take the per-direction products of {@link MlpStepHvp} (the R-operator), directions split among
 * the kernel threads. One autodiff Hessian-vector product per vector costs a forward pass and two
 * reverse passes through the batch's graph each; here the vectors share everything but their own
 * products.
 */
public final class MlpHessianProducts {
  private final MlpStepHvp.Layers layers;
  private final Loss loss;
  private final boolean gaussNewton;

  private MlpHessianProducts(MlpStepHvp.Layers layers, Loss loss, boolean gaussNewton) {
    this.layers = layers;
    this.loss = loss;
    this.gaussNewton = gaussNewton;
  }

  /**
   * The Hessian's products for {@code model} with {@code loss} when {@link MlpStepHvp} differentiates
   * them (an MLP of Linear layers and ReLU/tanh/GELU with squared error or cross-entropy), else null.
   */
  public static MlpHessianProducts of(Module model, Loss loss) {
    MlpStepHvp.Layers l = MlpStepHvp.layers(model, loss);
    return l == null ? null : new MlpHessianProducts(l, loss, false);
  }

  /**
   * The same for the Gauss-Newton matrix (1/n)·Σⱼ Jⱼᵀ ∇²_f ℓⱼ Jⱼ ({@link MlpStepHvp#gaussNewtonWorker}):
   * the R-operator's tangents without the network's second derivatives.
   */
  public static MlpHessianProducts gaussNewton(Module model, Loss loss) {
    MlpStepHvp.Layers l = MlpStepHvp.layers(model, loss);
    return l == null ? null : new MlpHessianProducts(l, loss, true);
  }

  /**
   * H·vₖ (or G·vₖ) for each vector vₖ (a flat vector in the model's parameter order), at parameter values
   * {@code theta} (CPU tensors in the model's parameter order), the Hessian being that of the mean
   * loss over the first {@code n} examples of {@code train}, taken in batches of {@code batchSize}.
   * The arithmetic is in the parameters' dtype; the results are float64.
   */
  public double[][] apply(List<Tensor> theta, Dataset train, int n, int batchSize, double[][] vs) {
    if (n < 1 || n > train.size()) throw new IllegalArgumentException("Hessian products over " + n + " of " + train.size() + " training examples");
    if (batchSize < 1) throw new IllegalArgumentException("Hessian products need a positive batch size, got " + batchSize);
    int q = vs.length;
    DType dt = theta.get(0).dtype();
    List<Tensor> directions = stack(theta, vs, dt);
    List<Tensor> target = new ArrayList<>(theta.size());
    for (Tensor d : directions) target.add(Tensor.zeros(dt, d.shape()));
    for (int start = 0; start < n; start += batchSize) {
      int[] rows = new int[Math.min(batchSize, n - start)];
      for (int i = 0; i < rows.length; i++) rows[i] = start + i;
      Batch b = train.batch(rows);
      // MlpStepHvp differentiates (1/B)·Σⱼ wⱼ·ℓⱼ; weights B/n make the batches sum to the mean over n.
      double[] w = new double[rows.length];
      Arrays.fill(w, (double) rows.length / n);
      MlpStepHvp step = new MlpStepHvp(layers, theta, b.x(), b.y(), w, loss);
      int chunks = Math.min(q, Parallel.threads());
      Parallel.forChunks(chunks, c -> {
        MlpStepHvp.Worker worker = gaussNewton ? step.gaussNewtonWorker() : step.worker();
        double[] dots = new double[q * rows.length];
        for (int k = Parallel.rangeStart(q, chunks, 1, c), end = Parallel.rangeStart(q, chunks, 1, c + 1); k < end; k++) {
          worker.accumulate(k, directions, target, dots);
        }
      });
    }
    return unstack(target, q);
  }

  /** The vectors as one [Q, ...shape] stack per parameter, contiguous and of dtype {@code dt}. */
  private static List<Tensor> stack(List<Tensor> theta, double[][] vs, DType dt) {
    int size = 0;
    for (Tensor p : theta) size += p.numel();
    List<Tensor> out = new ArrayList<>(theta.size());
    int offset = 0;
    for (Tensor p : theta) {
      int m = p.numel();
      double[] flat = new double[vs.length * m];
      for (int k = 0; k < vs.length; k++) {
        if (vs[k].length != size) throw new IllegalArgumentException("Hessian products: vector " + k + " has " + vs[k].length + " entries for " + size + " parameters");
        System.arraycopy(vs[k], offset, flat, k * m, m);
      }
      int[] shape = new int[p.rank() + 1];
      shape[0] = vs.length;
      System.arraycopy(p.shape(), 0, shape, 1, p.rank());
      try (var off = GradMode.off()) {
        out.add(Tensor.of(dt, flat, shape).owning());
      }
      offset += m;
    }
    return out;
  }

  private static double[][] unstack(List<Tensor> stacks, int q) {
    int size = 0;
    for (Tensor s : stacks) size += s.numel() / q;
    double[][] out = new double[q][size];
    int offset = 0;
    for (Tensor s : stacks) {
      double[] v = s.toDoubleArray();
      int m = v.length / q;
      for (int k = 0; k < q; k++) System.arraycopy(v, k * m, out[k], offset, m);
      offset += m;
    }
    return out;
  }
}
