package dev.unroll.tda.curvature;

import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.tda.grad.GradientLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The two Kronecker factors of every block (method.md §3, step 1), in float64, averaged per row:
 * A = (1/(N·R)) Σ_{examples, rows} ā āᵀ [in, in] and S = (1/(N·R)) Σ_{examples, rows, directions}
 * g gᵀ [out, out], with ā the homogeneous layer input, g = Jᵀw the pre-activation gradient of an
 * output cotangent w ({@link OutputDirections}) and R the rows per example (1 for a Linear layer
 * on [N, in]; positions of a sequence; output pixels of a convolution).
 *
 * @param layout the blocks
 * @param a A per block
 * @param s S per block
 * @param rowsPerExample R per block
 * @param examples N, the number of examples averaged over
 * @param settings the arguments that produced them
 */
public record KroneckerFactors(GradientLayout layout, List<Tensor> a, List<Tensor> s, double[] rowsPerExample, int examples, Map<String, String> settings) {
  public KroneckerFactors {
    a = List.copyOf(a);
    s = List.copyOf(s);
    rowsPerExample = rowsPerExample.clone();
    settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    if (a.size() != layout.numBlocks() || s.size() != layout.numBlocks() || rowsPerExample.length != layout.numBlocks()) {
      throw new IllegalArgumentException("Kronecker factors for " + a.size() + "/" + s.size() + " blocks, the layout has " + layout.numBlocks());
    }
  }

  /**
   * The mean of several fits' factors (e.g. the checkpoints of one SOURCE segment): A, S and R
   * averaged entrywise with equal weights. All must share the layout's block shapes.
   */
  public static KroneckerFactors average(List<KroneckerFactors> fits) {
    if (fits.isEmpty()) throw new IllegalArgumentException("average of no Kronecker factors");
    KroneckerFactors first = fits.get(0);
    int nb = first.layout.numBlocks();
    List<Tensor> a = new ArrayList<>(), s = new ArrayList<>();
    double[] r = new double[nb];
    int examples = 0;
    try (var g = GradMode.off()) {
      for (int b = 0; b < nb; b++) {
        Tensor sa = null, ss = null;
        for (KroneckerFactors f : fits) {
          if (f.layout.numBlocks() != nb || !java.util.Arrays.equals(f.a.get(b).shape(), first.a.get(b).shape()) || !java.util.Arrays.equals(f.s.get(b).shape(), first.s.get(b).shape())) {
            throw new IllegalArgumentException("averaging Kronecker factors of different shapes at block " + first.layout.block(b).name());
          }
          sa = sa == null ? f.a.get(b) : sa.add(f.a.get(b));
          ss = ss == null ? f.s.get(b) : ss.add(f.s.get(b));
          r[b] += f.rowsPerExample[b] / fits.size();
        }
        a.add(sa.div(fits.size()));
        s.add(ss.div(fits.size()));
      }
    }
    for (KroneckerFactors f : fits) examples += f.examples;
    Map<String, String> settings = new LinkedHashMap<>(first.settings);
    settings.put("averaged_fits", Integer.toString(fits.size()));
    return new KroneckerFactors(first.layout, a, s, r, examples, settings);
  }

  /** Saves A, S and R of every block with {@link #settings()} as the arguments ({@link FactorStore}). */
  public void save(Path file) {
    Map<String, Tensor> t = new LinkedHashMap<>();
    for (int b = 0; b < layout.numBlocks(); b++) {
      String n = layout.block(b).name();
      t.put(n + ".A", a.get(b));
      t.put(n + ".S", s.get(b));
      t.put(n + ".rows_per_example", Tensor.of(new double[] {rowsPerExample[b]}, 1));
    }
    t.put("examples", Tensor.of(new double[] {examples}, 1));
    FactorStore.save(file, t, settings);
  }

  /** Loads factors saved by {@link #save}, refused unless they were produced with exactly {@code requestedSettings}. */
  public static KroneckerFactors load(Path file, GradientLayout layout, Map<String, String> requestedSettings) {
    Map<String, Tensor> t = FactorStore.load(file, requestedSettings);
    List<Tensor> a = new ArrayList<>(), s = new ArrayList<>();
    double[] r = new double[layout.numBlocks()];
    for (GradientLayout.Block bl : layout.blocks()) {
      Tensor ta = t.get(bl.name() + ".A"), ts = t.get(bl.name() + ".S"), tr = t.get(bl.name() + ".rows_per_example");
      if (ta == null || ts == null || tr == null) throw new CorruptFileException(file, "no factors for layer " + bl.name() + "; the file has " + t.keySet());
      a.add(ta.to(DType.F64));
      s.add(ts.to(DType.F64));
      r[bl.index()] = tr.item();
    }
    Tensor ex = t.get("examples");
    if (ex == null) throw new CorruptFileException(file, "no example count");
    return new KroneckerFactors(layout, a, s, r, (int) ex.item(), requestedSettings);
  }

  /** Eigendecomposes every A and S in float64 (method.md §3, step 2). */
  public KroneckerBasis eigenbasis() {
    return KroneckerBasis.of(this);
  }
}
