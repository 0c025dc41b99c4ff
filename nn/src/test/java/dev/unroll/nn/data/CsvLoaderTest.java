package dev.unroll.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.nn.Targets;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class CsvLoaderTest {
  @TempDir Path dir;

  Path write(String name, String text) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, text);
    return p;
  }

  static DataLoadException assertLoadError(Executable e, String... parts) {
    DataLoadException x = assertThrows(DataLoadException.class, e);
    for (String p : parts) assertTrue(x.getMessage().contains(p), "'" + x.getMessage() + "' lacks '" + p + "'");
    return x;
  }

  @Test
  void regressionByNameWithExclusions() throws Exception {
    Path f = write("r.csv", "id,a,b,y\n1,0.5,2,10\n2,-1.5e-3,4,20\n\n3,7,3.38e-005,30\n");
    CsvLoader.Result r = CsvLoader.of(f).target("y").exclude("id").read();
    Dataset d = r.data();
    assertEquals("r", d.name());
    assertEquals(List.of("a", "b"), r.featureNames());
    assertArrayEquals(new int[] {3, 2}, d.x().shape());
    assertArrayEquals(new double[] {0.5, 2, -1.5e-3, 4, 7, 3.38e-5}, d.x().toDoubleArray());
    assertArrayEquals(new double[] {10, 20, 30}, ((Targets.Regression) d.y()).values().toDoubleArray());
    assertEquals(DType.F64, d.dtype());
  }

  @Test
  void semicolonsAreDetectedAndTargetsChosenByIndex() throws Exception {
    Path f = write("s.csv", "a;b;t1;t2\r\n1;2;3;4\r\n5;6;7;8\r\n");
    Dataset d = CsvLoader.of(f).target(3, 2).dtype(DType.F32).load();
    assertArrayEquals(new float[] {1, 2, 5, 6}, d.x().toFloatArray());
    assertArrayEquals(new double[] {4, 3, 8, 7}, ((Targets.Regression) d.y()).values().toDoubleArray());
    assertEquals(2, d.targetDim());
  }

  @Test
  void classificationLabelsInSortedOrder() throws Exception {
    Path f = write("c.csv", "x,\"the class\"\n1,virginica\n2,setosa\n3,\"versi,color\"\n4,setosa\n");
    CsvLoader.Result r = CsvLoader.of(f).target("the class").classification().read();
    assertEquals(List.of("setosa", "versi,color", "virginica"), r.classNames());
    assertArrayEquals(new int[] {2, 0, 1, 0}, r.data().labels());
    assertEquals(3, r.data().numClasses());

    Path g = write("n.csv", "x,k\n1,10\n2,9\n3,-1\n4,9\n");
    CsvLoader.Result n = CsvLoader.of(g).target(1).classification().read();
    assertEquals(List.of("-1", "9", "10"), n.classNames(), "numeric labels sort as numbers");
    assertArrayEquals(new int[] {2, 1, 0, 1}, n.data().labels());
  }

  @Test
  void gzippedFilesAreRead() throws Exception {
    Path f = dir.resolve("z.csv.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
      out.write("a,y\n1,2\n3,4\n".getBytes(StandardCharsets.UTF_8));
    }
    Dataset d = CsvLoader.of(f).target("y").load();
    assertEquals("z", d.name());
    assertArrayEquals(new double[] {1, 3}, d.x().toDoubleArray());
  }

  @Test
  void badCellNamesFileLineAndColumn() throws Exception {
    Path f = write("bad.csv", "a,b,y\n1,2,3\n4,oops,6\n");
    DataLoadException e = assertLoadError(() -> CsvLoader.of(f).target("y").load(), "bad.csv:3:2:", "'oops'", "'b'");
    assertEquals(3, e.line());
    assertEquals(2, e.column());
    Path g = write("nan.csv", "a,y\n1,2\nNaN,3\n");
    assertLoadError(() -> CsvLoader.of(g).target("y").load(), "nan.csv:3:1:", "'NaN'");
    Path h = write("suffix.csv", "a,y\n1f,2\n");
    assertLoadError(() -> CsvLoader.of(h).target("y").load(), "suffix.csv:2:1:", "'1f'");
    Path t = write("badtarget.csv", "a,y\n1,2\n\n2,\n");
    assertLoadError(() -> CsvLoader.of(t).target("y").load(), "badtarget.csv:4:2:", "''");
  }

  @Test
  void structuralErrors() throws Exception {
    Path ragged = write("ragged.csv", "a,b,y\n1,2,3\n4,5\n");
    assertLoadError(() -> CsvLoader.of(ragged).target("y").load(), "ragged.csv:3:", "2 cells, expected 3");
    Path f = write("ok.csv", "a,b,y\n1,2,3\n");
    assertLoadError(() -> CsvLoader.of(f).target("nope").load(), "ok.csv:1:", "no column 'nope'", "a, b, y");
    assertLoadError(() -> CsvLoader.of(f).target(3).load(), "ok.csv:1:", "index 3");
    assertLoadError(() -> CsvLoader.of(f).load(), "ok.csv", "no target column");
    assertLoadError(() -> CsvLoader.of(f).target("a", "b").classification().load(), "exactly one target");
    Path empty = write("empty.csv", "\n\n");
    assertLoadError(() -> CsvLoader.of(empty).target(0).load(), "empty.csv", "no header");
    Path headerOnly = write("head.csv", "a,y\n");
    assertLoadError(() -> CsvLoader.of(headerOnly).target("y").load(), "head.csv", "no data rows");
    Path quote = write("quote.csv", "a,y\n\"1,2\n");
    assertLoadError(() -> CsvLoader.of(quote).target("y").load(), "quote.csv:2:", "unterminated");
    assertLoadError(() -> CsvLoader.of(dir.resolve("missing.csv")).target("y").load(), "missing.csv", "not found");
  }
}
