package dev.unroll.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Targets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitsAndNoiseTest {
  @TempDir Path dir;

  @Test
  void splitIsDisjointSortedAndSeeded() {
    Dataset d = DatasetTest.numbered(100);
    TrainTest s = Splits.split(d, 70, 20, 9);
    int[] tr = s.train().parentIndices(), te = s.test().parentIndices();
    assertEquals(70, tr.length);
    assertEquals(20, te.length);
    int[] sortedTr = tr.clone();
    Arrays.sort(sortedTr);
    assertArrayEquals(sortedTr, tr);
    boolean[] seen = new boolean[100];
    for (int i : tr) seen[i] = true;
    for (int i : te) assertFalse(seen[i], "index " + i + " in both parts");
    TrainTest again = Splits.split(d, 70, 20, 9);
    assertArrayEquals(tr, again.train().parentIndices());
    assertFalse(Arrays.equals(tr, Splits.split(d, 70, 20, 10).train().parentIndices()));
    TrainTest f = Splits.splitFraction(d, 0.1, 3);
    assertEquals(90, f.train().size());
    assertEquals(10, f.test().size());
    assertThrows(IllegalArgumentException.class, () -> Splits.split(d, 90, 11, 0));
  }

  @Test
  void firstAndSample() {
    Dataset d = DatasetTest.numbered(50);
    assertArrayEquals(new int[] {0, 1, 2}, DataSets.first(d, 3).parentIndices());
    Dataset s = DataSets.sample(d, 10, 4);
    assertEquals(10, Arrays.stream(s.parentIndices()).distinct().count());
    assertArrayEquals(s.parentIndices(), Splits.sample(d, 10, 4).parentIndices());
    assertThrows(IllegalArgumentException.class, () -> Splits.first(d, 51));
  }

  static Dataset labelled(int n, int k) {
    int[] y = new int[n];
    for (int i = 0; i < n; i++) y[i] = (i * 7) % k;
    return new Dataset("lab", Tensor.of(new double[n], n, 1), new Targets.Classes(y, k));
  }

  @Test
  void labelNoiseCorruptsExactlyTheRoundedFractionToOtherClasses() {
    for (int n : new int[] {10, 15, 1001}) {
      Dataset d = labelled(n, 10);
      NoisyLabels noisy = LabelNoise.randomize(d, 0.3, 11);
      int m = (int) Math.round(0.3 * n);
      assertEquals(m, noisy.corrupted().length);
      int[] clean = d.labels(), got = noisy.data().labels();
      assertArrayEquals(clean, noisy.cleanLabels());
      int changed = 0;
      for (int i = 0; i < n; i++) {
        if (noisy.isCorrupted(i)) assertNotEquals(clean[i], got[i], "corrupted label " + i + " must differ");
        else assertEquals(clean[i], got[i]);
        if (got[i] != clean[i]) changed++;
        assertEquals(noisy.isCorrupted(i), noisy.mask()[i]);
      }
      assertEquals(m, changed);
      assertArrayEquals(got, LabelNoise.randomize(d, 0.3, 11).data().labels(), "seeded");
    }
  }

  @Test
  void replacementLabelsCoverTheOtherClassesEvenly() {
    Dataset d = new Dataset("zeros", Tensor.of(new double[20000], 20000, 1), new Targets.Classes(new int[20000], 4));
    NoisyLabels noisy = LabelNoise.randomize(d, 1.0, 2);
    int[] counts = new int[4];
    for (int l : noisy.data().labels()) counts[l]++;
    assertEquals(0, counts[0]);
    for (int c = 1; c < 4; c++) assertTrue(Math.abs(counts[c] - 20000 / 3.0) < 300, "class " + c + " drawn " + counts[c] + " times");
  }

  @Test
  void dataFolderResolution() throws Exception {
    Path opt = Files.createDirectories(dir.resolve("opt"));
    Path env = Files.createDirectories(dir.resolve("env"));
    Path work = Files.createDirectories(dir.resolve("repo"));
    assertEquals(opt, DataSets.resolveRoot(opt.toString(), env.toString(), work));
    assertEquals(env, DataSets.resolveRoot(null, env.toString(), work));
    DataLoadException none = assertThrows(DataLoadException.class, () -> DataSets.resolveRoot(null, null, work));
    assertTrue(none.getMessage().contains("UNROLL_DATA"), none.getMessage());
    Files.createDirectories(work.resolve("data"));
    assertEquals(work.resolve("data"), DataSets.resolveRoot(null, "", work));
    Files.createDirectories(dir.resolve("shared/data"));
    assertEquals(work.resolve("../shared/data").normalize(), DataSets.resolveRoot(null, null, work));
    assertThrows(DataLoadException.class, () -> DataSets.resolveRoot(dir.resolve("nope").toString(), null, work));
    DataLoadException missing = assertThrows(DataLoadException.class, () -> new DataSets(opt).iris());
    assertTrue(missing.getMessage().contains("iris.csv") && missing.getMessage().contains("no iris/ folder"), missing.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new DataSets(opt).get("cifar-10"));
  }
}
