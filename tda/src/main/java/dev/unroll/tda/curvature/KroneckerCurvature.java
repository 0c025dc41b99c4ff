package dev.unroll.tda.curvature;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.GradMode;
import dev.unroll.autodiff.Tensor;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Damping;
import dev.unroll.tda.grad.CapturedPass;
import dev.unroll.tda.grad.GradientLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Block-diagonal Kronecker-eigenbasis curvature of a whole model (K-FAC or EK-FAC): block b is
 * (Q_S ⊗ Q_A) diag(Λ_b) (Q_S ⊗ Q_A)ᵀ acting on the block's W̄ [out, in], and there are no
 * cross-block terms. A spectral function φ of the curvature applied to a full gradient (block
 * order, {@link GradientLayout}) is φ applied block by block: φ(G)V_b = Q_S [φ(Λ_b) ⊙ (Q_Sᵀ V_b Q_A)] Q_Aᵀ.
 * Each block may get its own φ (per-layer damping).
 */
public final class KroneckerCurvature {
  private final GradientLayout layout;
  private final List<KroneckerEigen> layers;
  private final String kind;
  private final Map<String, String> settings;

  public KroneckerCurvature(GradientLayout layout, List<KroneckerEigen> layers, String kind, Map<String, String> settings) {
    if (layers.size() != layout.numBlocks()) throw new IllegalArgumentException(layers.size() + " Kronecker layers for " + layout.numBlocks() + " blocks");
    for (int b = 0; b < layers.size(); b++) {
      GradientLayout.Block bl = layout.block(b);
      KroneckerEigen k = layers.get(b);
      if (k.outDim() != bl.out() || k.inDim() != bl.in()) {
        throw new IllegalArgumentException("block " + bl.name() + " is [" + bl.out() + " x " + bl.in() + "], its Kronecker layer [" + k.outDim() + " x " + k.inDim() + "]");
      }
    }
    this.layout = layout;
    this.layers = List.copyOf(layers);
    this.kind = kind;
    this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
  }

  public GradientLayout layout() { return layout; }

  /** Block b's eigenbases and eigenvalues. */
  public KroneckerEigen layer(int b) { return layers.get(b); }

  public List<KroneckerEigen> layers() { return layers; }

  /** {@code kfac} or {@code ekfac}. */
  public String kind() { return kind; }

  /** The fit's arguments. */
  public Map<String, String> settings() { return settings; }

  /** This curvature with other eigenvalues in the same bases (e.g. averaged over checkpoints). */
  public KroneckerCurvature withEigenvalues(List<Tensor> lambda) {
    List<KroneckerEigen> ls = new ArrayList<>();
    for (int b = 0; b < layers.size(); b++) ls.add(new KroneckerEigen(layers.get(b).qS(), layers.get(b).qA(), lambda.get(b)));
    return new KroneckerCurvature(layout, ls, kind, settings);
  }

  /** The mean of block b's eigenvalues (trace / dimension of the block). */
  public double meanEigenvalue(int b) {
    return layers.get(b).meanEigenvalue();
  }

  /** The per-block damped inverses φ_b(σ) = 1/(σ + λ_b), λ_b resolved from block b's mean eigenvalue. */
  public List<SpectralFunction> inverse(Damping damping) {
    List<SpectralFunction> out = new ArrayList<>();
    for (int b = 0; b < layers.size(); b++) out.add(SpectralFunction.inverse(damping.resolve(meanEigenvalue(b))));
    return out;
  }

  /** The damping value of each block under {@code damping}. */
  public double[] dampingValues(Damping damping) {
    double[] d = new double[layers.size()];
    for (int b = 0; b < d.length; b++) d[b] = damping.resolve(meanEigenvalue(b));
    return d;
  }

  /** φ(G)·v for every row v of {@code g} [Q, P] (block order), float64 [Q, P]. */
  public Tensor apply(SpectralFunction phi, Tensor g) {
    return apply(Collections.nCopies(layers.size(), phi), g);
  }

  /** φ_b(G_b)·v_b block by block for every row of {@code g} [Q, P], float64 [Q, P]. */
  public Tensor apply(List<SpectralFunction> phis, Tensor g) {
    checkPhis(phis);
    if (g.rank() != 2 || g.dim(1) != layout.size()) throw new IllegalArgumentException("apply: gradients of shape " + Arrays.toString(g.shape()) + ", expected [Q, " + layout.size() + "]");
    List<Tensor> out = new ArrayList<>();
    try (var s = GradMode.off()) {
      for (int b = 0; b < layers.size(); b++) out.add(layers.get(b).apply(phis.get(b), layout.blockOf(g.to(DType.F64), b)));
    }
    return layout.concat(out);
  }

  /**
   * Several spectral functions of the same curvature applied to the same rows, sharing one rotation
   * into the eigenbasis: result k is φ_k(G)·v for every row v of {@code g} (e.g. SOURCE's segment
   * gain and propagation of one vector). Each φ_k is a list with one function per block.
   */
  public List<Tensor> applyAll(List<List<SpectralFunction>> phis, Tensor g) {
    for (List<SpectralFunction> p : phis) checkPhis(p);
    if (g.rank() != 2 || g.dim(1) != layout.size()) throw new IllegalArgumentException("apply: gradients of shape " + Arrays.toString(g.shape()) + ", expected [Q, " + layout.size() + "]");
    List<List<Tensor>> out = new ArrayList<>();
    for (int k = 0; k < phis.size(); k++) out.add(new ArrayList<>());
    try (var s = GradMode.off()) {
      Tensor g64 = g.to(DType.F64);
      for (int b = 0; b < layers.size(); b++) {
        KroneckerEigen e = layers.get(b);
        Tensor rotated = e.rotate(layout.blockOf(g64, b));
        for (int k = 0; k < phis.size(); k++) out.get(k).add(e.unrotate(rotated.mul(e.map(phis.get(k).get(b)))));
      }
    }
    List<Tensor> result = new ArrayList<>();
    for (List<Tensor> o : out) result.add(layout.concat(o));
    return result;
  }

  /**
   * gₙᵀ φ(G) gₙ for every example n of a captured batch, with gₙ its per-example gradient from ∂/∂s
   * {@code ds}: Σ_b Σ_ij φ_b(Λ_b)_ij ((Q_Sᵀ Gₙ Q_A)_ij)², without forming φ(G)gₙ.
   */
  public double[] quadratic(List<SpectralFunction> phis, CapturedPass pass, List<Tensor> ds) {
    checkPhis(phis);
    double[] out = new double[pass.batchSize()];
    PassRows rows = PassRows.of(pass, List.of(ds));
    for (int b = 0; b < layers.size(); b++) {
      KroneckerEigen k = layers.get(b);
      double[] q = RotatedGradients.of(rows, 0, b, k.qS(), k.qA()).quadratic(k.map(phis.get(b)));
      for (int i = 0; i < out.length; i++) out[i] += q[i];
    }
    return out;
  }

  private void checkPhis(List<SpectralFunction> phis) {
    if (phis.size() != layers.size()) throw new IllegalArgumentException(phis.size() + " spectral functions for " + layers.size() + " blocks");
  }

  // ------------------------------------------------------------------ files

  /** Saves Q_S, Q_A and Λ of every block with this curvature's settings as the arguments. */
  public void save(Path file) {
    Map<String, Tensor> t = new LinkedHashMap<>();
    for (int b = 0; b < layers.size(); b++) {
      String n = layout.block(b).name();
      t.put(n + ".qS", layers.get(b).qS());
      t.put(n + ".qA", layers.get(b).qA());
      t.put(n + ".lambda", layers.get(b).lambda());
    }
    Map<String, String> args = new LinkedHashMap<>(settings);
    args.put("kind", kind);
    FactorStore.save(file, t, args);
  }

  /**
   * Loads a curvature saved by {@link #save} for {@code layout}, refused unless it was fitted with
   * exactly {@code requestedSettings} (and {@code kind}).
   */
  public static KroneckerCurvature load(Path file, GradientLayout layout, String kind, Map<String, String> requestedSettings) {
    Map<String, String> args = new LinkedHashMap<>(requestedSettings);
    args.put("kind", kind);
    Map<String, Tensor> t = FactorStore.load(file, args);
    List<KroneckerEigen> ls = new ArrayList<>();
    for (GradientLayout.Block bl : layout.blocks()) {
      Tensor qS = t.get(bl.name() + ".qS"), qA = t.get(bl.name() + ".qA"), l = t.get(bl.name() + ".lambda");
      if (qS == null || qA == null || l == null) throw new dev.unroll.autodiff.io.CorruptFileException(file, "no factors for layer " + bl.name() + "; the file has " + t.keySet());
      ls.add(new KroneckerEigen(qS.to(DType.F64), qA.to(DType.F64), l.to(DType.F64)));
    }
    return new KroneckerCurvature(layout, ls, kind, requestedSettings);
  }

  /**
   * The cached curvature of {@code kind} ({@code ekfac} or {@code kfac}) at {@code file} when it was
   * fitted with these arguments; otherwise fits it and saves it there. A file fitted with other
   * arguments is refused ({@link FactorStore.MismatchException}), never overwritten.
   */
  public static KroneckerCurvature fitOrLoad(Path file, String kind, AttributionTask task, List<Tensor> params, FitOptions options) {
    Map<String, String> requested = new LinkedHashMap<>(Ekfac.settings(task, params, options));
    requested.put("curvature", kind);
    if (FactorStore.exists(file)) return load(file, task.layout(), kind, requested);
    KroneckerCurvature c = switch (kind) {
      case "ekfac" -> Ekfac.ekfac(task, params, options);
      case "kfac" -> Ekfac.kfac(task, params, options);
      default -> throw new IllegalArgumentException("curvature kind must be ekfac or kfac, got '" + kind + "'");
    };
    c.save(file);
    return c;
  }
}
