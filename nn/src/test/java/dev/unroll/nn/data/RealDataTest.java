package dev.unroll.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.nn.Targets;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Loaders on the real files of the shared data folder; expected values are the counts and
 * statistics recorded in each folder's SOURCE.txt (computed there with independent tools).
 * Skipped when the folder is absent.
 */
class RealDataTest {
  static int[] counts(int[] labels, int k) {
    int[] c = new int[k];
    for (int l : labels) c[l]++;
    return c;
  }

  static double mean(float[] v) {
    double s = 0;
    for (float f : v) s += f;
    return s / v.length;
  }

  @Test
  void concreteResourceNeedsNoFolder() throws Exception {
    Dataset d = DataSets.concrete();
    assertEquals(1030, d.size());
    assertArrayEquals(new int[] {8}, d.inputShape());
    assertEquals(DType.F64, d.dtype());
    assertArrayEquals(new double[] {540, 0, 0, 162, 2.5, 1040, 676, 28}, java.util.Arrays.copyOf(d.x().toDoubleArray(), 8));
    double[] y = ((Targets.Regression) d.y()).values().toDoubleArray();
    assertEquals(79.98611076, y[0]);
    assertEquals(61.887365759999994, y[1]);
    double s = 0, lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
    for (double v : y) {
      s += v;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    assertEquals(35.8178, s / y.length, 5e-5);
    assertEquals(2.3318, lo, 5e-5);
    assertEquals(82.5992, hi, 5e-5);
  }

  @Test
  void shippedConcreteMatchesItsCitedChecksums() throws Exception {
    String citation;
    try (InputStream in = DataSets.class.getResourceAsStream("concrete.CITATION.txt")) {
      citation = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertTrue(citation.contains("CC BY 4.0") && citation.contains("Yeh"));
    for (String name : new String[] {"concrete.csv", "concrete.README.txt"}) {
      byte[] bytes;
      try (InputStream in = DataSets.class.getResourceAsStream(name)) {
        bytes = in.readAllBytes();
      }
      String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
      assertTrue(citation.contains(sha + "  " + name), name + " has sha256 " + sha + ", not the one in concrete.CITATION.txt");
    }
  }

  @Test
  void parkinsons() {
    DataSets ds = new DataSets(TestData.require("parkinsons_telemonitoring"));
    Dataset d = ds.parkinsons();
    assertEquals(5875, d.size());
    assertArrayEquals(new int[] {19}, d.inputShape());
    double[] y = ((Targets.Regression) d.y()).values().toDoubleArray();
    double s = 0;
    for (double v : y) s += v;
    assertEquals(29.0189, s / y.length, 5e-5);
    double[] motor = ((Targets.Regression) ds.parkinsons("motor_UPDRS").y()).values().toDoubleArray();
    s = 0;
    for (double v : motor) s += v;
    assertEquals(21.2962, s / motor.length, 5e-5);
  }

  @Test
  void mnist() {
    TrainTest m = new DataSets(TestData.require("mnist")).mnist();
    assertEquals(60000, m.train().size());
    assertArrayEquals(new int[] {1, 28, 28}, m.train().inputShape());
    assertArrayEquals(new int[] {5, 0, 4, 1, 9, 2, 1, 3, 1, 4}, java.util.Arrays.copyOf(m.train().labels(), 10));
    assertArrayEquals(new int[] {5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949}, counts(m.train().labels(), 10));
    assertArrayEquals(new int[] {980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}, counts(m.test().labels(), 10));
    float[] px = m.train().x().floatStorage();
    assertEquals(0.1307, mean(px), 5e-5);
    assertEquals(0.1325, mean(m.test().x().floatStorage()), 5e-5);
  }

  @Test
  void fashionMnistAndItsNoisyVersion() {
    DataSets ds = new DataSets(TestData.require("fashion_mnist"));
    TrainTest f = ds.fashionMnist();
    int[] sixThousand = new int[10], thousand = new int[10];
    java.util.Arrays.fill(sixThousand, 6000);
    java.util.Arrays.fill(thousand, 1000);
    assertArrayEquals(sixThousand, counts(f.train().labels(), 10));
    assertArrayEquals(thousand, counts(f.test().labels(), 10));
    assertEquals(0.2860, mean(f.train().x().floatStorage()), 5e-5);

    NoisyLabels n = LabelNoise.randomize(f.train(), 0.3, DataSets.FASHION_N_SEED);
    assertEquals(18000, n.corrupted().length);
    int[] clean = f.train().labels(), noisy = n.data().labels();
    int differ = 0;
    for (int i = 0; i < clean.length; i++) if (clean[i] != noisy[i]) differ++;
    assertEquals(18000, differ);
    for (int i : n.corrupted()) assertTrue(clean[i] != noisy[i]);
    assertEquals("fashion-mnist-N", n.data().name());
  }

  @Test
  void digitsIrisWine() {
    DataSets ds = new DataSets(TestData.require("digits"));
    Dataset digits = ds.digits();
    assertEquals(1797, digits.size());
    assertArrayEquals(new int[] {64}, digits.inputShape());
    assertArrayEquals(new int[] {178, 182, 177, 183, 181, 182, 181, 179, 174, 180}, counts(digits.labels(), 10));
    Dataset iris = new DataSets(TestData.require("iris")).iris();
    assertEquals(150, iris.size());
    assertArrayEquals(new int[] {50, 50, 50}, counts(iris.labels(), 3));
    Dataset wine = new DataSets(TestData.require("wine")).wine();
    assertArrayEquals(new int[] {13}, wine.inputShape());
    assertArrayEquals(new int[] {59, 71, 48}, counts(wine.labels(), 3));
  }

  @Test
  void missingSetsSayWhereTheyWereLookedFor() {
    Path root = TestData.require();
    if (!Files.isDirectory(root.resolve("breast_cancer"))) {
      DataLoadException e = assertThrows(DataLoadException.class, () -> new DataSets(root).breastCancer());
      assertTrue(e.getMessage().contains("breast_cancer.csv"), e.getMessage());
    } else {
      assertEquals(569, new DataSets(root).breastCancer().size());
    }
    if (!Files.isDirectory(root.resolve("diabetes"))) {
      DataLoadException e = assertThrows(DataLoadException.class, () -> new DataSets(root).diabetes());
      assertTrue(e.getMessage().contains("diabetes_data_raw.csv.gz"), e.getMessage());
    } else {
      assertEquals(442, new DataSets(root).diabetes().size());
    }
  }
}
