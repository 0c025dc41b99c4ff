package dev.unroll.nn;

import dev.unroll.autodiff.ConvGeometry;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import java.util.Arrays;

/**
 * One captured call of a Linear or Conv2d layer, laid out for Kronecker-factored curvature. The
 * layer is a matrix product s = W̄·ā per row, with W̄ = [W | b] of shape [out, k(+1)] and ā the
 * input in homogeneous coordinates (a 1 appended when the layer has a bias):
 * <ul>
 *   <li>Linear on x [N, in] (or [N, ..., in], whose R = rows per example are flattened in order):
 *       {@link #activations()} ā is [N·R, in(+1)] and {@link #outputGradient} lays ∂L/∂s out as
 *       [N·R, out];</li>
 *   <li>Conv2d on x [N, C, H, W]: ā is the im2col patches [N, C·kh·kw(+1), OH·OW] (row index
 *       (c·kh + u)·kw + v, then the bias row) and ∂L/∂s is [N, out, OH·OW].</li>
 * </ul>
 * The gradient of the loss with respect to W̄ is Σ_rows (∂L/∂s)·āᵀ ({@link #weightGradient}); the
 * K-FAC factors are A = E[ā āᵀ] and S = E[(∂L/∂s)(∂L/∂s)ᵀ] over rows (tokens, spatial positions).
 * ā is detached (a constant); {@link #output()} is the graph node s to differentiate with respect to.
 */
public final class KfacLayer {
  /** What kind of layer was captured. */
  public enum Kind { LINEAR, CONV2D }

  private final Capture.Record record;
  private final Kind kind;
  private final Tensor activations;
  private final boolean hasBias;
  private final int examples, rowsPerExample, outFeatures, inFeatures;

  private KfacLayer(Capture.Record record, Kind kind, Tensor activations, boolean hasBias, int examples, int rowsPerExample, int outFeatures, int inFeatures) {
    this.record = record;
    this.kind = kind;
    this.activations = activations;
    this.hasBias = hasBias;
    this.examples = examples;
    this.rowsPerExample = rowsPerExample;
    this.outFeatures = outFeatures;
    this.inFeatures = inFeatures;
  }

  /** The Kronecker layout of a captured call of a Linear or Conv2d layer. */
  public static KfacLayer of(Capture.Record r) {
    try (var s = GradMode.off()) {
      Tensor x = r.input().detach();
      if (r.layer() instanceof Linear l) {
        int rows = x.numel() / l.in();
        Tensor a = x.reshape(rows, l.in());
        if (l.bias() != null) a = Ops.concat(1, a, Tensor.ones(x.dtype(), rows, 1).to(x.backend()));
        int n = x.rank() == 1 ? 1 : x.dim(0);
        return new KfacLayer(r, Kind.LINEAR, a.contiguous(), l.bias() != null, n, rows / n, l.out(), l.in());
      }
      if (r.layer() instanceof Conv2d c) {
        ConvGeometry geo = new ConvGeometry(x.dim(0), x.dim(1), x.dim(2), x.dim(3), c.kh(), c.kw(), c.stride(), c.pad());
        Tensor a = Ops.im2col(x, geo);
        if (c.bias() != null) a = Ops.concat(1, a, Tensor.ones(x.dtype(), geo.n(), 1, geo.cols()).to(x.backend()));
        return new KfacLayer(r, Kind.CONV2D, a.contiguous(), c.bias() != null, geo.n(), geo.cols(), c.out(), geo.rows());
      }
    }
    throw new IllegalArgumentException("KfacLayer: captured layer " + r.name() + " is a " + r.layer().getClass().getSimpleName() + ", expected Linear or Conv2d");
  }

  /** The layer's dotted name ("layers.0"). */
  public String name() { return record.name(); }

  public Module layer() { return record.layer(); }

  public Kind kind() { return kind; }

  /** ā in homogeneous coordinates: [N·R, in(+1)] for Linear, [N, C·kh·kw(+1), OH·OW] for Conv2d. */
  public Tensor activations() { return activations; }

  /** The captured output s (a graph node), to pass to Autograd.grad. */
  public Tensor output() { return record.output(); }

  public boolean hasBias() { return hasBias; }

  /** N, the number of examples in the batch. */
  public int examples() { return examples; }

  /** Rows per example: R for Linear (1 for [N, in] input), OH·OW for Conv2d. */
  public int rowsPerExample() { return rowsPerExample; }

  /** out: the rows of W̄. */
  public int outFeatures() { return outFeatures; }

  /** k: in for Linear, C·kh·kw for Conv2d (W̄ has k + 1 columns with a bias). */
  public int inFeatures() { return inFeatures; }

  /** k + 1 with a bias, else k: the columns of W̄ and the size of the A factor. */
  public int homogeneousInFeatures() { return inFeatures + (hasBias ? 1 : 0); }

  /** ∂L/∂s (shaped like {@link #output()}) in this layer's layout: [N·R, out] for Linear, [N, out, OH·OW] for Conv2d. */
  public Tensor outputGradient(Tensor ds) {
    int[] want = record.output().shape();
    if (!Arrays.equals(ds.shape(), want)) {
      throw new IllegalArgumentException("KfacLayer " + name() + ": gradient of shape " + Arrays.toString(ds.shape()) + " for an output of shape " + Arrays.toString(want));
    }
    return kind == Kind.LINEAR ? ds.reshape(examples * rowsPerExample, outFeatures) : ds.reshape(examples, outFeatures, rowsPerExample);
  }

  /**
   * ∂L/∂W̄ = Σ over rows of (∂L/∂s)·āᵀ, [out, k(+1)] (the bias gradient is the last column), from
   * the gradient ds of L with respect to {@link #output()}.
   */
  public Tensor weightGradient(Tensor ds) {
    Tensor g = outputGradient(ds);
    if (kind == Kind.LINEAR) return g.t().matmul(activations);
    return g.matmul(activations.transpose(1, 2)).sum(0);
  }
}
