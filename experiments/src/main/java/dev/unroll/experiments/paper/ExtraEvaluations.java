package dev.unroll.experiments.paper;

import dev.unroll.experiments.eval.Evaluations;
import java.util.List;

/**
 * Which {@link ExtraEvaluation}s an experiment runs: the one place where evaluations beyond the LDS
 * are registered. The {@link Pipeline} calls them in this order, after the LDS and before the
 * report is written. {@code level} is {@code none}, {@code quick} (the setting's
 * {@link Setting#quickEvaluations}: few points, queries and seeds, fewer where retrains are costly)
 * or {@code full} ({@link Evaluations.Plan#full}; at most 10 seeds). The seed caps keep the
 * paper scale's R = 100 (tens of thousands of retrains for subset removal alone) out of them.
 */
public final class ExtraEvaluations {
  private ExtraEvaluations() {}

  public static final List<String> LEVELS = List.of("none", "quick", "full");

  /** The evaluations of {@code setting} at {@code level}. */
  public static List<ExtraEvaluation> of(Setting setting, String level) {
    return switch (level) {
      case "none" -> List.of();
      case "quick" -> List.of(new BesideLds(setting.quickEvaluations()));
      case "full" -> List.of(new BesideLds(Evaluations.Plan.full()));
      default -> throw new IllegalArgumentException("--evaluations must be one of " + String.join(", ", LEVELS) + ", got '" + level + "'");
    };
  }
}
