package dev.unroll.experiments.paper;

import dev.unroll.tda.Scores;
import dev.unroll.tda.source.SourceInputs;
import dev.unroll.tda.unroll.ExactUnroll;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Exact unrolling of a multi-stage run whose stages train on different rows of one training set:
 * {@link ExactUnroll} scores each stage's examples in that stage's own positions; the effect of
 * removing a point from every stage it is in is the sum over stages of its scores, each put in the
 * point's column of the union ({@link SourceInputs#defaultColumns}).
 */
final class ExactAcrossStages {
  private ExactAcrossStages() {}

  /** Exact unrolling (query blocks of 8 on {@code threads} threads), in union columns. */
  static MethodRun method(int threads) {
    return new MethodRun(MethodCatalog.EXACT, c -> inUnion(ExactUnroll.scores(c.run().trajectory(), c.queries(), c.measurement(), ExactUnroll.Options.automatic(threads)), c));
  }

  /** τ[q][col_s(i)] = Σ_s τ_s[q][i] over the stages s containing the point. */
  static Scores inUnion(ExactUnroll.Result r, Context c) {
    int[][] cols = SourceInputs.defaultColumns(c.run().config(), c.run().stageData(), c.train().size());
    int q = c.queries().size(), n = c.train().size();
    double[][] sum = new double[q][n];
    for (int s = 0; s < cols.length; s++) {
      double[][] v = r.stage(s).values();
      if (v[0].length != cols[s].length) throw new IllegalStateException("stage " + s + ": " + v[0].length + " score columns for " + cols[s].length + " examples");
      for (int k = 0; k < q; k++) for (int i = 0; i < cols[s].length; i++) sum[k][cols[s][i]] += v[k][i];
    }
    Map<String, String> settings = new LinkedHashMap<>(r.stage(0).settings());
    settings.put("stage", "all (union columns)");
    settings.put("data", c.train().name() + " (" + c.train().size() + " points over " + cols.length + " stages)");
    return new Scores(r.stage(0).method(), sum, settings);
  }
}
