package dev.unroll.tda.source;

import dev.unroll.tda.curvature.FitOptions;
import dev.unroll.tda.methods.ScoreOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How SOURCE estimates each segment's curvature and which closed form it uses.
 *
 * @param curvature the estimate of H̄_ℓ ({@link Curvature})
 * @param form exponentials or the K-step power forms ({@link Form})
 * @param fit label sampling, examples and batch size of the curvature fits
 * @param score batch sizes and query chunking of the scoring sweeps
 */
public record SourceOptions(Curvature curvature, Form form, FitOptions fit, ScoreOptions score) {
  /** The estimate of a segment's curvature H̄_ℓ, each averaged over the segment's checkpoints. */
  public enum Curvature {
    /**
     * EK-FAC on every Linear/Conv2d layer (the literature's default): Kronecker factors A, S averaged
     * over the checkpoints, eigendecomposed once, eigenvalue corrections Λ_c computed per checkpoint
     * in that basis and averaged.
     */
    EKFAC,
    /** K-FAC from the averaged factors: Λ = R·λ_S λ_Aᵀ. */
    KFAC,
    /** The exact dense Hessian of the stage's mean training loss (small models only: P Hessian-vector products per checkpoint). */
    HESSIAN,
    /** The dense Fisher-type matrix of {@link FitOptions#fisher()} (Gauss-Newton for EXPECTED; small models only). */
    FISHER
  }

  /**
   * The closed forms of a segment with learning time c and K steps:
   * {@link #EXPONENTIAL}: S̄ = exp(−cH̄), r̄ = (I − exp(−cH̄))H̄⁻¹ḡ (the paper's); {@link #POWER}:
   * S̄ = (I − ηH̄)^K, r̄ = (I − (I − ηH̄)^K)H̄⁻¹ḡ with η = c/K, exactly what K gradient-descent steps
   * of constant step η on a stationary quadratic accumulate.
   */
  public enum Form { EXPONENTIAL, POWER }

  public SourceOptions {
    if (curvature == null || form == null || fit == null || score == null) throw new IllegalArgumentException("SOURCE options need a curvature, a form, fit options and score options");
  }

  /** EK-FAC, exponential form, the default fit (true Fisher, one sampled label) and default scoring. */
  public static SourceOptions defaults() {
    return new SourceOptions(Curvature.EKFAC, Form.EXPONENTIAL, FitOptions.defaults(), ScoreOptions.defaults());
  }

  public SourceOptions withCurvature(Curvature c) { return new SourceOptions(c, form, fit, score); }

  public SourceOptions withForm(Form f) { return new SourceOptions(curvature, f, fit, score); }

  public SourceOptions withFit(FitOptions f) { return new SourceOptions(curvature, form, f, score); }

  public SourceOptions withScore(ScoreOptions s) { return new SourceOptions(curvature, form, fit, s); }

  /** The name of the curvature estimate: ekfac, kfac, hessian, or fisher(TYPE). */
  public String curvatureName() {
    return switch (curvature) {
      case EKFAC -> "ekfac";
      case KFAC -> "kfac";
      case HESSIAN -> "hessian";
      case FISHER -> "fisher(" + fit.fisher().name().toLowerCase() + ")";
    };
  }

  /** The arguments the scores depend on. */
  public Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("curvature", curvatureName());
    m.put("form", form.name().toLowerCase());
    if (curvature != Curvature.HESSIAN) m.putAll(fit.describe());
    else m.put("max_examples", Integer.toString(fit.maxExamples()));
    return m;
  }
}
