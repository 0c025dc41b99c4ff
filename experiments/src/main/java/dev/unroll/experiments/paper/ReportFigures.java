package dev.unroll.experiments.paper;

import dev.unroll.experiments.eval.Lds;
import dev.unroll.experiments.report.Plots;
import dev.unroll.experiments.report.Report;
import dev.unroll.tda.Scores;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.math3.stat.correlation.SpearmansCorrelation;

/** The LDS table rows and the figures every experiment's report has. */
public final class ReportFigures {
  private ReportFigures() {}

  /**
   * Each method's LDS (bootstrap seed 7) into the report, with its Spearman correlation to exact
   * unrolling when that was scored, and the LDS over each query group (mean of the group's
   * per-query values, own bootstrap interval) as further columns.
   */
  static Map<String, Lds.Result> lds(Report report, Setting.Data data, Map<String, Scores> scores, Map<String, Double> seconds, boolean[][] masks, double[][] actual) {
    Scores exact = scores.get(MethodCatalog.EXACT);
    Map<String, Lds.Result> lds = new LinkedHashMap<>();
    for (var e : scores.entrySet()) {
      Lds.Result res = Lds.score(e.getValue().values(), masks, actual, 7);
      lds.put(e.getKey(), res);
      report.method(e.getKey(), res, seconds.get(e.getKey()));
      if (exact != null) report.methodFigure(e.getKey(), "Spearman with exact unrolling", meanRowSpearman(e.getValue().values(), exact.values()));
      for (Setting.QueryGroup g : data.groups()) {
        double[] per = new double[g.rows().length];
        for (int i = 0; i < per.length; i++) per[i] = res.perQuery()[g.rows()[i]];
        Lds.Result r = Lds.summarize(per, 7);
        report.methodFigure(e.getKey(), "LDS " + g.name(), String.format("%.3f [%.3f, %.3f]", r.mean(), r.low(), r.high()));
      }
    }
    return lds;
  }

  /** Predicted vs actual measurement over the subsets for the first three queries, for the first SOURCE method. */
  static void scatter(Report report, Map<String, Scores> scores, Map<String, Lds.Result> lds, boolean[][] masks, double[][] actual, int queries) throws IOException {
    String best = lds.keySet().stream().filter(k -> k.startsWith("SOURCE")).findFirst().orElse(lds.keySet().iterator().next());
    double[][] pred = Lds.predicted(scores.get(best).values(), masks);
    for (int q = 0; q < Math.min(3, queries); q++) {
      double[] x = new double[masks.length], y = new double[masks.length];
      for (int j = 0; j < masks.length; j++) {
        x[j] = pred[j][q];
        y[j] = actual[j][q];
      }
      String png = "scatter-q" + q + ".png";
      Plots.scatter(best + ", query " + q, "predicted group effect", "actual measurement after retraining", x, y, report.dir().resolve(png));
      report.figure(png, best + ": predicted vs actual measurement over the " + masks.length + " subsets, query " + q + " (Spearman " + String.format("%.3f", lds.get(best).perQuery()[q]) + ")");
    }
  }

  /** Mean over rows of the Spearman correlation between two score matrices' rows. */
  public static double meanRowSpearman(double[][] a, double[][] b) {
    SpearmansCorrelation sc = new SpearmansCorrelation();
    double s = 0;
    int n = 0;
    for (int q = 0; q < a.length; q++) {
      double v = sc.correlation(a[q], b[q]);
      if (Double.isFinite(v)) {
        s += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }
}
