package dev.unroll.experiments.paper;

import java.util.ArrayList;
import java.util.List;

/**
 * Which {@link ExtraEvaluation}s each setting runs: the one place where evaluations beyond the LDS
 * are registered. The {@link Pipeline} calls them in this order, after the LDS and before the
 * report is written.
 */
public final class ExtraEvaluations {
  private ExtraEvaluations() {}

  /** The evaluations of {@code setting} (none yet for any setting). */
  public static List<ExtraEvaluation> of(Setting setting) {
    List<ExtraEvaluation> l = new ArrayList<>();
    return l;
  }
}
