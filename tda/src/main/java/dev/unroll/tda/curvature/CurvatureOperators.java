package dev.unroll.tda.curvature;

import dev.unroll.autodiff.Autograd;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Derivatives;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Module;
import dev.unroll.nn.ParameterVector;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import dev.unroll.tda.grad.Gradients;
import dev.unroll.tda.unroll.MlpHessianProducts;
import java.util.List;

/**
 * Curvature of the mean training loss given only by its action on flat block-order float64 vectors,
 * for conjugate gradient and LiSSA: exact Hessian-vector products (reverse over reverse) and
 * Gauss-Newton-vector products Gv = (1/N)·Σₙ Jₙᵀ (∇²_f Lₙ) Jₙ v (a forward-mode product, the
 * loss's output Hessian, a reverse-mode product). Each application sweeps the first
 * {@code options.examples(N)} training examples in batches.
 */
public final class CurvatureOperators {
  private CurvatureOperators() {}

  /** v ↦ ∇²_θ((1/N)·Σₙ Lₙ)·v. */
  public static LinearOperator hessian(AttributionTask task, List<Tensor> params, FitOptions options) {
    return new Sweep(task, params, options) {
      @Override
      Tensor batchProduct(Module model, List<Tensor> leaves, Batch b, int[] rows, List<Tensor> v) {
        Tensor f = model.withParameters(leaves, () -> task.loss().sum(model.forward(b.x().to(leaves.get(0).dtype())), b.y()));
        return ParameterVector.concat(Derivatives.hvp(f, leaves, v));
      }

      private final MlpHessianProducts mlp = onCpu(params) ? MlpHessianProducts.of(task.model(), task.loss()) : null;

      /**
       * On an MLP ({@link MlpHessianProducts}), all vectors in one sweep whose batches' primal
       * passes they share; elsewhere one autodiff product per vector.
       */
      @Override
      public double[][] applyAll(double[][] vs) {
        if (mlp == null || vs.length < 2) return super.applyAll(vs);
        return inParameterOrder(task, vs, w -> mlp.apply(params, task.train(), options.examples(task.numTrain()), options.batchSize(), w));
      }
    };
  }

  /** {@code products} of vectors in the model's parameter order, for vectors and results in block order. */
  private static double[][] inParameterOrder(AttributionTask task, double[][] vs, java.util.function.UnaryOperator<double[][]> products) {
    GradientLayout layout = task.layout();
    double[][] w = new double[vs.length][];
    for (int k = 0; k < vs.length; k++) w[k] = layout.toParameterOrder(vs[k]);
    double[][] out = products.apply(w);
    for (int k = 0; k < out.length; k++) out[k] = layout.toBlockOrder(out[k]);
    return out;
  }

  private static boolean onCpu(List<Tensor> params) {
    for (Tensor p : params) if (!p.backend().isCpu()) return false;
    return true;
  }

  /** v ↦ (1/N)·Σₙ Jₙᵀ (∇²_f Lₙ) Jₙ v, the Gauss-Newton matrix (MseLoss or CrossEntropyLoss). */
  public static LinearOperator gaussNewton(AttributionTask task, List<Tensor> params, FitOptions options) {
    FitOptions expected = options.withFisher(FisherType.EXPECTED);
    return new Sweep(task, params, options) {
      @Override
      Tensor batchProduct(Module model, List<Tensor> leaves, Batch b, int[] rows, List<Tensor> v) {
        Tensor out = model.withParameters(leaves, () -> model.forward(b.x().to(leaves.get(0).dtype())));
        Tensor jv = Derivatives.jvp(out, leaves, v).detach();
        int n = out.dim(0);
        Tensor h;
        try (var g = GradMode.off()) {
          // ∇²_f L = Σ_c w_c w_cᵀ per example, so (∇²_f L)·Jv = Σ_c w_c ⟨w_c, Jv⟩.
          Tensor jv2 = jv.reshape(n, -1);
          h = null;
          for (Tensor w : OutputDirections.of(task.loss(), expected, out, b.y(), rows)) {
            Tensor w2 = w.reshape(n, -1);
            Tensor t = w2.mul(w2.mul(jv2).sumKeep(1));
            h = h == null ? t : h.add(t);
          }
          h = h.reshape(out.shape());
        }
        // The JVP's second reverse pass frees parts of the forward graph: run the forward again for the VJP.
        Tensor again = model.withParameters(leaves, () -> model.forward(b.x().to(leaves.get(0).dtype())));
        return ParameterVector.concat(Autograd.grad(List.of(again), List.of(h), leaves, false, false, true));
      }

      private final MlpHessianProducts mlp = onCpu(params) ? MlpHessianProducts.gaussNewton(task.model(), task.loss()) : null;
      /** Output directions per example (the number of w_c), probed on the first call that needs it. */
      private int directions = -1;

      /**
       * All vectors in one sweep. On an MLP, the batches' primal passes shared and the tangents per
       * vector ({@link MlpHessianProducts#gaussNewton}). Elsewhere, with at most two output
       * directions per example: with ∇²_f Lₙ = Σ_c w_c w_cᵀ, G = (1/N)·Σₙ Σ_c φₙ,c φₙ,cᵀ where
       * φₙ,c = Jₙᵀw_c is example n's gradient for the output cotangent w_c (the outer-product
       * identity per layer, {@link CapturedPass#flatGradients}), so a batch adds (V·Φᵀ)·Φ to G·V for
       * V the vectors as rows and Φ [B, P] the batch's φ's: two float64 products with all vectors at
       * once, where {@link #apply} costs two forward passes and two reverse ones per vector. With more
       * directions (many classes) those products would cost more than the passes; one vector at a time.
       */
      @Override
      public double[][] applyAll(double[][] vs) {
        if (vs.length < 2) return super.applyAll(vs);
        if (mlp != null) return inParameterOrder(task, vs, w -> mlp.apply(params, task.train(), options.examples(task.numTrain()), options.batchSize(), w));
        if (directions < 0) {
          Batch first = task.train().batch(new int[] {0});
          directions = CapturedPass.run(task.model(), task.layout(), params, first.x(), pass -> OutputDirections.of(task.loss(), expected, pass.output(), first.y(), new int[] {0}).size());
        }
        return directions > 2 ? super.applyAll(vs) : outerProducts(task, params, expected, options.examples(task.numTrain()), options.batchSize(), vs);
      }
    };
  }

  /**
   * Σ over the first n examples, in batches, of (V·Φᵀ)·Φ / n for V the vectors as rows and Φ [B, P]
   * each batch's gradients for each output cotangent of {@code fit}'s Fisher ({@link OutputDirections}).
   */
  private static double[][] outerProducts(AttributionTask task, List<Tensor> params, FitOptions fit, int n, int batchSize, double[][] vs) {
    GradientLayout layout = task.layout();
    int q = vs.length, p = layout.size();
    double[] flat = new double[q * p];
    for (int k = 0; k < q; k++) {
      if (vs[k].length != p) throw new IllegalArgumentException("Gauss-Newton product: vector of " + vs[k].length + " entries for " + p + " parameters");
      System.arraycopy(vs[k], 0, flat, k * p, p);
    }
    Tensor v = Tensor.of(flat, q, p);
    double[] acc = new double[q * p];
    // Φ and its float64 copy take 12 bytes per row and parameter: batches no larger than a sixteenth of the heap.
    long rowsFit = Runtime.getRuntime().maxMemory() / 16 / (12L * p);
    int batch = (int) Math.max(1, Math.min(batchSize, rowsFit));
    for (int[] rows : Gradients.ranges(n, batch)) {
      Batch b = task.train().batch(rows);
      CapturedPass.run(task.model(), layout, params, b.x(), pass -> {
        List<Tensor> dirs = OutputDirections.of(task.loss(), fit, pass.output(), b.y(), rows);
        for (int c = 0; c < dirs.size(); c++) {
          Tensor phi = pass.flatGradients(pass.vjp(dirs.get(c), c + 1 < dirs.size()));
          // The vectors stay on the CPU, where the solver keeps them.
          if (!phi.backend().isCpu()) phi = phi.to(Backends.cpu());
          phi = phi.to(DType.F64);
          double[] part;
          try (var off = GradMode.off()) {
            part = v.matmul(phi.t()).matmul(phi).toDoubleArray();
          }
          for (int i = 0; i < acc.length; i++) acc[i] += part[i];
        }
        return null;
      });
    }
    double[][] out = new double[q][p];
    for (int k = 0; k < q; k++) for (int i = 0; i < p; i++) out[k][i] = acc[k * p + i] / n;
    return out;
  }

  private abstract static class Sweep implements LinearOperator {
    private final AttributionTask task;
    private final List<Tensor> params;
    private final FitOptions options;
    private final GradientLayout layout;

    Sweep(AttributionTask task, List<Tensor> params, FitOptions options) {
      this.task = task;
      this.params = params;
      this.options = options;
      this.layout = task.layout();
    }

    abstract Tensor batchProduct(Module model, List<Tensor> leaves, Batch b, int[] rows, List<Tensor> v);

    @Override
    public int dim() {
      return layout.size();
    }

    @Override
    public double[] apply(double[] v) {
      DType dt = params.get(0).dtype();
      List<Tensor> vs = layout.parameterVector().split(Tensor.of(dt, layout.toParameterOrder(v), layout.size()));
      int n = options.examples(task.numTrain());
      double[] acc = new double[layout.size()];
      for (int[] rows : Gradients.ranges(n, options.batchSize())) {
        Batch b = task.train().batch(rows);
        double[] part = batchProduct(task.model(), CapturedPass.leaves(params), b, rows, vs).toDoubleArray();
        for (int i = 0; i < acc.length; i++) acc[i] += part[i];
      }
      for (int i = 0; i < acc.length; i++) acc[i] /= n;
      return layout.toBlockOrder(acc);
    }
  }
}
