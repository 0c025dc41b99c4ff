package dev.unroll.nn.data;

import static dev.unroll.nn.data.CsvLoaderTest.assertLoadError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.autodiff.DType;
import dev.unroll.nn.Targets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Digits and scikit-learn file layouts on tiny synthetic files. */
class SmallLoadersTest {
  @TempDir Path dir;

  static String digitsLine(int fill, int label) {
    return IntStream.range(0, 64).mapToObj(i -> Integer.toString(i == 0 ? fill : i % 17)).collect(Collectors.joining(",")) + "," + label;
  }

  @Test
  void digits() throws Exception {
    Path f = dir.resolve("digits.csv");
    Files.writeString(f, digitsLine(16, 3) + "\n" + digitsLine(0, 9) + "\n");
    Dataset d = DigitsLoader.load(f, DType.F64, false);
    assertArrayEquals(new int[] {2, 64}, d.x().shape());
    assertEquals(16, d.x().get(0, 0));
    assertEquals(5, d.x().get(1, 5));
    assertArrayEquals(new int[] {3, 9}, d.labels());
    assertEquals(1.0, DigitsLoader.load(f, DType.F64, true).x().get(0, 0));
    Files.writeString(f, digitsLine(16, 3) + "\n" + digitsLine(17, 9) + "\n");
    assertLoadError(() -> DigitsLoader.load(f, DType.F64, false), "digits.csv:2:1:", "17", "outside [0, 16]");
    Files.writeString(f, digitsLine(1, 3) + "\n" + digitsLine(1, 3) + ",5\n");
    assertLoadError(() -> DigitsLoader.load(f, DType.F64, false), "digits.csv:2:", "66 cells, expected 65");
  }

  @Test
  void sklearnClassificationLayout() throws Exception {
    Path f = dir.resolve("tiny.csv");
    Files.writeString(f, "3,2,alpha,beta\n1.5,2,0\n3,4,1\n5,6.25,1\n");
    SklearnCsvLoader.Result r = SklearnCsvLoader.loadClassification(f, "tiny", DType.F64);
    assertEquals(List.of("alpha", "beta"), r.classNames());
    assertArrayEquals(new double[] {1.5, 2, 3, 4, 5, 6.25}, r.data().x().toDoubleArray());
    assertArrayEquals(new int[] {0, 1, 1}, r.data().labels());
    Files.writeString(f, "4,2,alpha,beta\n1.5,2,0\n3,4,1\n5,6.25,1\n");
    assertLoadError(() -> SklearnCsvLoader.loadClassification(f, "t", DType.F64), "tiny.csv:1:", "announces 4 samples", "3 data lines");
    Files.writeString(f, "2,2,alpha,beta\n1.5,2,0\n3,4,2\n");
    assertLoadError(() -> SklearnCsvLoader.loadClassification(f, "t", DType.F64), "tiny.csv:3:3:", "outside [0, 1]");
  }

  @Test
  void diabetesLayout() throws Exception {
    Path x = dir.resolve("x.csv"), y = dir.resolve("y.csv");
    Files.writeString(x, "59 2 32.1 101 157 93.2 38 4 4.8598 87\n48 1 21.6 87 183 103.2 70 3 3.8918 69\n");
    Files.writeString(y, "151\n75\n");
    Dataset d = SklearnCsvLoader.loadDiabetes(x, y, DType.F64);
    assertArrayEquals(new int[] {2, 10}, d.x().shape());
    assertEquals(4.8598, d.x().get(0, 8));
    assertArrayEquals(new double[] {151, 75}, ((Targets.Regression) d.y()).values().toDoubleArray());
    Files.writeString(y, "151\n");
    assertLoadError(() -> SklearnCsvLoader.loadDiabetes(x, y, DType.F64), "y.csv", "1 targets", "2 rows");
  }
}
