package dev.unroll.experiments.paper;

import dev.unroll.experiments.eval.GroundTruth;
import dev.unroll.experiments.eval.Lds;
import dev.unroll.experiments.report.Report;
import dev.unroll.tda.Scores;
import java.nio.file.Path;
import java.util.Map;

/**
 * An evaluation beyond the LDS, run by the {@link Pipeline} after every method has been scored and
 * the LDS computed (subset removal, leave-one-out, mislabel detection, image panels, ...). It adds
 * its figures to the report (columns via {@link Report#methodFigure}, PNGs via {@link Report#figure})
 * and may write files under {@code out}.
 */
@FunctionalInterface
public interface ExtraEvaluation {
  /**
   * What an evaluation is given.
   *
   * @param context the base run, task, setting and run folder
   * @param scores  every method's scores τ [Q][N], by method name in table order
   * @param seconds every method's scoring time
   * @param groundTruth the counterfactual retrains (masks [M][N], mean measurements [M][Q])
   * @param lds     every method's LDS
   * @param report  the report being assembled (written after all evaluations)
   * @param out     the run folder
   */
  record Inputs(Context context, Map<String, Scores> scores, Map<String, Double> seconds, GroundTruth groundTruth, Map<String, Lds.Result> lds, Report report, Path out) {}

  /** A short name, for progress lines. */
  default String name() {
    return getClass().getSimpleName();
  }

  void run(Inputs in) throws Exception;
}
