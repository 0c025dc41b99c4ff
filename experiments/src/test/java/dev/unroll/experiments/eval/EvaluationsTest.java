package dev.unroll.experiments.eval;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import dev.unroll.experiments.report.Report;
import dev.unroll.nn.Activation;
import dev.unroll.nn.CrossEntropyLoss;
import dev.unroll.nn.Measurement;
import dev.unroll.nn.Mlp;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import dev.unroll.tda.AttributionTask;
import dev.unroll.tda.Scores;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The entry point wires every evaluation into the report (figures, summary, sections) on 28×28 classification data. */
class EvaluationsTest {
  @Test
  void addsSectionsFiguresAndSummaryEntries(@TempDir Path out) throws Exception {
    int n = 30, q = 3;
    Rng r = new Rng(1);
    double[] x = new double[n * 784], xq = new double[q * 784];
    for (int i = 0; i < x.length; i++) x[i] = r.uniform();
    for (int i = 0; i < xq.length; i++) xq[i] = r.uniform();
    int[] y = new int[n], yq = {1, 2, 3};
    for (int i = 0; i < n; i++) y[i] = i % 10;
    Dataset train = new Dataset("t", Tensor.of(x, n, 784), new Targets.Classes(y, 10)), queries = new Dataset("q", Tensor.of(xq, q, 784), new Targets.Classes(yq, 10));
    AttributionTask task = new AttributionTask(Mlp.of(DType.F64, new Rng(2), Activation.RELU, 784, 3, 10), new CrossEntropyLoss(), Measurement.margin(), train, queries);
    double[][] a = new double[q][n];
    for (double[] row : a) for (int i = 0; i < n; i++) row[i] = 0.1 * r.uniform();
    double[][] tau = new double[q][n];
    for (int k = 0; k < q; k++) for (int i = 0; i < n; i++) tau[k][i] = -a[k][i];
    Map<String, Scores> scores = new LinkedHashMap<>();
    scores.put("SOURCE (L=3)", Scores.pairwise("s", tau, Map.of()));
    scores.put("noise", Scores.pairwise("n", new double[q][n], Map.of()));
    GroundTruth.Retrainer margin = (mask, seed) -> {
      double[] f = {1, 1, 1};
      for (int k = 0; k < q; k++) for (int i = 0; i < n; i++) if (!mask[i]) f[k] -= a[k][i];
      return f;
    };
    Report report = new Report(out, "wiring");
    Evaluations.run(new Evaluations.Setup(out, out.resolve("gt"), "{}", null, task, scores, margin, 1, 2, null), new Evaluations.Plan(5, 2, new double[] {0.1, 0.2}, 2, 3, java.util.Set.of("SOURCE (L=3)"), null, 2), report);
    report.write();
    String md = Files.readString(out.resolve("report.md")), summary = Files.readString(out.resolve("summary.json"));
    for (String s : new String[] {"## Leave-one-out correlation", "## Subset removal", "subset-removal.png", "subset-removal-flips.png", "## Image panels", "panel-SOURCE_L_3_.png"}) {
      assertTrue(md.contains(s), "report.md lacks " + s);
    }
    assertTrue(summary.contains("\"leave_one_out\"") && summary.contains("\"subset_removal\""), summary);
    // Subset removal ran for the chosen method and random only.
    String removal = md.substring(md.indexOf("## Subset removal"), md.indexOf("## Image panels"));
    assertTrue(removal.contains("| SOURCE (L=3) |") && removal.contains("| random |") && !removal.contains("| noise |"), removal);
    for (String f : new String[] {"subset-removal.png", "subset-removal-flips.png", "panel-SOURCE_L_3_.png", "panel-noise.png"}) assertTrue(Files.size(out.resolve(f)) > 0, f);
  }
}
