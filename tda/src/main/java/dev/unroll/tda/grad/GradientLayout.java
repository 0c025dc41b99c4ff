package dev.unroll.tda.grad;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Ops;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Conv2d;
import dev.unroll.nn.Linear;
import dev.unroll.nn.Module;
import dev.unroll.nn.Parameter;
import dev.unroll.nn.ParameterVector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameter space of a model as the attribution methods see it: one block per Linear or Conv2d
 * layer, in the order of the layers' weights in {@link Module#parameters()}. Block b is the layer's
 * homogeneous matrix W̄ = [W | b] of shape [out, k(+1)] (k = in for Linear, C·kh·kw for Conv2d, the
 * bias as the last column), the shape in which Kronecker-factored curvature acts and in which the
 * outer-product identity produces per-example gradients.
 *
 * <p>A flat gradient in <em>block order</em> is the concatenation of the blocks' W̄, each row-major:
 * entry (o, j) of block b sits at {@code offset(b) + o·in(b) + j}. It is a permutation of the
 * {@link ParameterVector} order (weight row-major, then bias, parameter after parameter); dot
 * products do not depend on the order, and {@link #toBlockOrder} / {@link #toParameterOrder} convert.
 * Every parameter of the model must belong to a Linear or Conv2d layer.
 */
public final class GradientLayout {
  /**
   * One layer's block.
   *
   * @param index position among the blocks
   * @param name the layer's dotted name ("layers.0")
   * @param layer the Linear or Conv2d module
   * @param out rows of W̄
   * @param in columns of W̄ (k, plus one with a bias)
   * @param hasBias whether the last column is the bias
   * @param weightParameter index of the weight in {@link Module#parameters()}
   * @param biasParameter index of the bias, or −1
   * @param offset first index of the block in block order
   */
  public record Block(int index, String name, Module layer, int out, int in, boolean hasBias, int weightParameter, int biasParameter, int offset) {
    /** out·in, the number of entries. */
    public int size() {
      return out * in;
    }
  }

  private final List<Block> blocks;
  private final Map<Module, Block> byLayer = new IdentityHashMap<>();
  private final ParameterVector parameters;
  private final int size;
  /** toParameter[i] = the ParameterVector index of block-order entry i. */
  private final int[] toParameter, toBlock;

  private GradientLayout(List<Block> blocks, ParameterVector parameters) {
    this.blocks = List.copyOf(blocks);
    this.parameters = parameters;
    int p = 0;
    for (Block b : blocks) {
      byLayer.put(b.layer(), b);
      p += b.size();
    }
    size = p;
    if (size != parameters.size()) throw new IllegalStateException("blocks cover " + size + " entries, the model has " + parameters.size());
    toParameter = new int[size];
    toBlock = new int[size];
    for (Block b : blocks) {
      int k = b.hasBias() ? b.in() - 1 : b.in();
      int wOff = parameters.offset(b.weightParameter());
      int bOff = b.hasBias() ? parameters.offset(b.biasParameter()) : -1;
      for (int o = 0; o < b.out(); o++) {
        for (int j = 0; j < b.in(); j++) {
          int pv = j < k ? wOff + o * k + j : bOff + o;
          toParameter[b.offset() + o * b.in() + j] = pv;
        }
      }
    }
    for (int i = 0; i < size; i++) toBlock[toParameter[i]] = i;
  }

  /** The layout of {@code model}; throws naming any parameter that is not a Linear or Conv2d weight or bias. */
  public static GradientLayout of(Module model) {
    List<Parameter> params = model.parameters();
    Map<Parameter, Integer> index = new IdentityHashMap<>();
    for (int i = 0; i < params.size(); i++) index.put(params.get(i), i);
    List<Module> layers = new ArrayList<>();
    collect(model, layers);
    layers.sort((a, b) -> Integer.compare(index.get(weight(a)), index.get(weight(b))));
    List<Block> blocks = new ArrayList<>();
    int offset = 0;
    for (Module m : layers) {
      Parameter w = weight(m), bias = bias(m);
      int out, k;
      if (m instanceof Linear l) {
        out = l.out();
        k = l.in();
      } else {
        Conv2d c = (Conv2d) m;
        out = c.out();
        k = c.in() * c.kh() * c.kw();
      }
      int in = k + (bias != null ? 1 : 0);
      blocks.add(new Block(blocks.size(), m.displayName(), m, out, in, bias != null, index.get(w), bias == null ? -1 : index.get(bias), offset));
      offset += out * in;
    }
    return new GradientLayout(blocks, ParameterVector.of(model));
  }

  private static void collect(Module m, List<Module> out) {
    if (m instanceof Linear || m instanceof Conv2d) {
      out.add(m);
      return;
    }
    if (!m.ownParameters().isEmpty()) {
      throw new IllegalArgumentException("attribution needs every parameter in a Linear or Conv2d layer; " + m.getClass().getSimpleName() + " '" + m.displayName() + "' owns " + m.ownParameters());
    }
    for (Module c : m.children().values()) collect(c, out);
  }

  private static Parameter weight(Module m) {
    return m instanceof Linear l ? l.weight() : ((Conv2d) m).weight();
  }

  private static Parameter bias(Module m) {
    return m instanceof Linear l ? l.bias() : ((Conv2d) m).bias();
  }

  /** P, the number of parameters. */
  public int size() {
    return size;
  }

  public List<Block> blocks() {
    return blocks;
  }

  public int numBlocks() {
    return blocks.size();
  }

  public Block block(int b) {
    return blocks.get(b);
  }

  /** The block of a captured layer, or null when the layer is not part of this model. */
  public Block blockOf(Module layer) {
    return byLayer.get(layer);
  }

  /** The model's parameters as a flat vector layout (ParameterVector order). */
  public ParameterVector parameterVector() {
    return parameters;
  }

  /** The block-order index of each ParameterVector index. */
  public int[] blockIndexOfParameterEntry() {
    return toBlock.clone();
  }

  /** Rows of {@code flat} [..., P] in ParameterVector order reordered to block order. */
  public Tensor toBlockOrder(Tensor flat) {
    checkLast(flat, "toBlockOrder");
    try (var s = GradMode.off()) {
      return Ops.indexSelect(flat.detach(), flat.rank() - 1, toParameter).contiguous();
    }
  }

  /** Rows of {@code flat} [..., P] in block order reordered to ParameterVector order. */
  public Tensor toParameterOrder(Tensor flat) {
    checkLast(flat, "toParameterOrder");
    try (var s = GradMode.off()) {
      return Ops.indexSelect(flat.detach(), flat.rank() - 1, toBlock).contiguous();
    }
  }

  public double[] toBlockOrder(double[] pv) {
    if (pv.length != size) throw new IllegalArgumentException("toBlockOrder: vector of " + pv.length + " entries for " + size + " parameters");
    double[] out = new double[size];
    for (int i = 0; i < size; i++) out[i] = pv[toParameter[i]];
    return out;
  }

  public double[] toParameterOrder(double[] block) {
    if (block.length != size) throw new IllegalArgumentException("toParameterOrder: vector of " + block.length + " entries for " + size + " parameters");
    double[] out = new double[size];
    for (int i = 0; i < size; i++) out[toParameter[i]] = block[i];
    return out;
  }

  /** A square matrix over ParameterVector coordinates re-indexed to block order. */
  public double[][] toBlockOrder(double[][] pv) {
    if (pv.length != size) throw new IllegalArgumentException("toBlockOrder: matrix of " + pv.length + " rows for " + size + " parameters");
    double[][] out = new double[size][size];
    for (int i = 0; i < size; i++) {
      double[] src = pv[toParameter[i]];
      for (int j = 0; j < size; j++) out[i][j] = src[toParameter[j]];
    }
    return out;
  }

  /** Per-parameter tensors (parameter shapes, {@link Module#parameters()} order) as one flat float64 vector [P] in block order. */
  public Tensor flatten(List<Tensor> perParameter) {
    return toBlockOrder(parameters.flatten(perParameter, DType.F64));
  }

  /** A flat vector [P] in block order split into per-parameter tensors of the parameters' shapes (float64). */
  public List<Tensor> unflatten(Tensor blockFlat) {
    if (blockFlat.rank() != 1 || blockFlat.dim(0) != size) throw new IllegalArgumentException("unflatten: vector of shape " + Arrays.toString(blockFlat.shape()) + ", expected [" + size + "]");
    Tensor pv = toParameterOrder(blockFlat.to(DType.F64));
    List<Tensor> out = new ArrayList<>();
    try (var s = GradMode.off()) {
      for (int i = 0; i < parameters.count(); i++) out.add(pv.slice(0, parameters.offset(i), parameters.offset(i) + parameters.size(i)).contiguous().reshape(parameters.shape(i)));
    }
    return out;
  }

  /** Block b of a batch of flat vectors [Q, P] as [Q, out, in] (a view when possible). */
  public Tensor blockOf(Tensor flat, int b) {
    Block bl = blocks.get(b);
    if (flat.rank() != 2 || flat.dim(1) != size) throw new IllegalArgumentException("blockOf: tensor of shape " + Arrays.toString(flat.shape()) + ", expected [Q, " + size + "]");
    try (var s = GradMode.off()) {
      return flat.slice(1, bl.offset(), bl.offset() + bl.size()).contiguous().reshape(flat.dim(0), bl.out(), bl.in());
    }
  }

  /** The inverse of {@link #blockOf}: per-block tensors [Q, out, in] concatenated to [Q, P]. */
  public Tensor concat(List<Tensor> perBlock) {
    if (perBlock.size() != blocks.size()) throw new IllegalArgumentException("concat: " + perBlock.size() + " tensors for " + blocks.size() + " blocks");
    Tensor[] cols = new Tensor[perBlock.size()];
    try (var s = GradMode.off()) {
      for (int b = 0; b < cols.length; b++) {
        Tensor t = perBlock.get(b);
        Block bl = blocks.get(b);
        if (t.rank() != 3 || t.dim(1) != bl.out() || t.dim(2) != bl.in()) {
          throw new IllegalArgumentException("concat: block " + bl.name() + " given shape " + Arrays.toString(t.shape()) + ", expected [Q, " + bl.out() + ", " + bl.in() + "]");
        }
        cols[b] = t.reshape(t.dim(0), bl.size());
      }
      return cols.length == 1 ? cols[0].contiguous() : Ops.concat(1, cols);
    }
  }

  /** The names of the blocks, in order. */
  public List<String> names() {
    List<String> out = new ArrayList<>();
    for (Block b : blocks) out.add(b.name());
    return Collections.unmodifiableList(out);
  }

  private void checkLast(Tensor t, String op) {
    if (t.rank() < 1 || t.dim(-1) != size) throw new IllegalArgumentException(op + ": tensor of shape " + Arrays.toString(t.shape()) + ", expected [..., " + size + "]");
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("GradientLayout(P=" + size);
    for (Block b : blocks) sb.append(", ").append(b.name()).append(" [").append(b.out()).append("x").append(b.in()).append("]");
    return sb.append(')').toString();
  }
}
