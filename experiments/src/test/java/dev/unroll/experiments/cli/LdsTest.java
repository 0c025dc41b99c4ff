package dev.unroll.experiments.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.unroll.autodiff.Rng;
import dev.unroll.nn.data.DataLoadException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./unroll lds} end to end on a tiny CSV written here, and its errors for bad input. */
class LdsTest {
  /** 60 rows of y = x1 − 2·x2 + noise, with an unused column between. */
  private static Path csv(Path dir) throws Exception {
    Rng r = new Rng(3);
    StringBuilder b = new StringBuilder("x1,unused,x2,y\n");
    for (int i = 0; i < 60; i++) {
      double x1 = r.normal(), u = r.normal(), x2 = r.normal();
      b.append(x1).append(',').append(u).append(',').append(x2).append(',').append(x1 - 2 * x2 + 0.1 * r.normal()).append('\n');
    }
    Path f = dir.resolve("mine.csv");
    Files.writeString(f, b.toString());
    return f;
  }

  @Test
  void runsTheWholeEvaluationOnACsv(@TempDir Path dir) throws Exception {
    Path out = dir.resolve("out");
    String[] args = {"--csv", csv(dir).toString(), "--target", "y", "--methods", "source,if-ekfac,tracin", "--epochs", "2", "--subsets", "4", "--seeds", "1", "--queries", "3", "--threads", "2", "--evaluations", "none", "--out", out.toString()};
    assertEquals(0, Lds.run(args));
    JsonObject s = JsonParser.parseString(Files.readString(out.resolve("summary.json"))).getAsJsonObject();
    JsonObject methods = s.getAsJsonObject("methods");
    assertEquals(3, methods.size());
    for (String m : new String[] {"SOURCE (L=3)", "EK-FAC influence", "TracIn"}) assertTrue(methods.has(m), m);
    // 60 rows: 6 queries held out (3 attributed), 54 training points, 3 input columns.
    assertEquals(54, s.getAsJsonObject("settings").get("training examples").getAsInt());
    assertEquals("MLP [3, 128, 128, 128, 1], ReLU", s.getAsJsonObject("settings").get("model").getAsString());
    assertTrue(Files.exists(out.resolve("report.md")));
  }

  @Test
  void aBadRowIsReportedWithItsFileAndLine(@TempDir Path dir) throws Exception {
    Path f = csv(dir);
    List<String> lines = new ArrayList<>(Files.readAllLines(f));
    lines.set(4, "1.0,2.0,oops,3.0");
    Files.write(f, lines);
    DataLoadException e = assertThrows(DataLoadException.class, () -> Lds.run(new String[] {"--csv", f.toString(), "--target", "y", "--out", dir.resolve("o").toString()}));
    assertTrue(e.getMessage().startsWith(f + ":5:3: cell 'oops' of column 'x2' is not a number"), e.getMessage());
  }

  @Test
  void anUnknownTargetColumnNamesTheColumns(@TempDir Path dir) throws Exception {
    Path f = csv(dir);
    DataLoadException e = assertThrows(DataLoadException.class, () -> Lds.run(new String[] {"--csv", f.toString(), "--target", "z", "--out", dir.resolve("o").toString()}));
    assertTrue(e.getMessage().startsWith(f + ":1: no column 'z'"), e.getMessage());
    assertTrue(e.getMessage().contains("x1, unused, x2, y"), e.getMessage());
  }

  @Test
  void anUnknownMethodListsTheKnownOnes(@TempDir Path dir) throws Exception {
    Path f = csv(dir);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Lds.run(new String[] {"--csv", f.toString(), "--target", "y", "--methods", "source,magic"}));
    assertTrue(e.getMessage().startsWith("unknown method 'magic' (known: exact, source,"), e.getMessage());
  }

  @Test
  void tooFewRowsIsAnError(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("small.csv");
    Files.writeString(f, "a,b\n1,2\n3,4\n");
    DataLoadException e = assertThrows(DataLoadException.class, () -> Lds.run(new String[] {"--csv", f.toString(), "--target", "b"}));
    assertEquals(f + ": only 2 data rows; the evaluation needs at least 10", e.getMessage());
  }
}
