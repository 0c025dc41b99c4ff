package dev.unroll.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.nn.Batch;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class BatchesTest {
  @Test
  void everyIndexOncePerEpoch() {
    for (int n : new int[] {1, 7, 64, 101}) {
      Batches b = Batches.shuffled(n, 10, 42, false);
      for (int e = 0; e < 5; e++) {
        int[][] order = b.epochOrder(e);
        assertEquals((n + 9) / 10, order.length);
        int[] seen = new int[n];
        for (int k = 0; k < order.length; k++) {
          assertEquals(k < order.length - 1 ? 10 : n - 10 * (order.length - 1), order[k].length);
          for (int i : order[k]) seen[i]++;
        }
        for (int i = 0; i < n; i++) assertEquals(1, seen[i], "n=" + n + " epoch " + e + " index " + i);
      }
    }
  }

  @Test
  void dropLastKeepsOnlyFullBatches() {
    int[][] order = Batches.epochOrder(23, 5, 1, 0, true);
    assertEquals(4, order.length);
    boolean[] seen = new boolean[23];
    for (int[] batch : order) {
      assertEquals(5, batch.length);
      for (int i : batch) {
        assertFalse(seen[i]);
        seen[i] = true;
      }
    }
    assertThrows(IllegalArgumentException.class, () -> Batches.shuffled(3, 5, 0, true));
  }

  @Test
  void anEpochIsReproducibleOnItsOwn() {
    Batches a = Batches.shuffled(1000, 32, 7, false);
    int[][] e3 = a.epochOrder(3);
    Batches fresh = Batches.shuffled(1000, 32, 7, false);
    assertTrue(Arrays.deepEquals(e3, fresh.epochOrder(3)), "epoch 3 without computing epochs 0..2");
    for (int e = 0; e < 3; e++) a.epochOrder(e);
    assertTrue(Arrays.deepEquals(e3, a.epochOrder(3)), "no hidden state");
    assertFalse(Arrays.equals(a.permutation(3), a.permutation(4)), "epochs differ");
    assertFalse(Arrays.equals(a.permutation(3), Batches.shuffled(1000, 32, 8, false).permutation(3)), "seeds differ");
    assertEquals(Batches.epochSeed(7, 3), Batches.epochSeed(7, 3));
  }

  @Test
  void sequentialBatchesAreInOrder() {
    int[][] order = Batches.sequential(5, 2).epochOrder(9);
    assertArrayEquals(new int[][] {{0, 1}, {2, 3}, {4}}, order);
  }

  @Test
  void epochIteratesGatheredBatches() {
    Dataset d = DatasetTest.numbered(11);
    Batches b = Batches.shuffled(11, 4, 3, false);
    int[][] order = b.epochOrder(2);
    int k = 0;
    for (Batch batch : b.epoch(d, 2)) {
      assertArrayEquals(order[k], batch.indices());
      double[] x = batch.x().toDoubleArray();
      for (int j = 0; j < batch.size(); j++) assertEquals(order[k][j], x[3 * j]);
      k++;
    }
    assertEquals(order.length, k);
    assertThrows(IllegalArgumentException.class, () -> b.epoch(DatasetTest.numbered(10), 0));
  }
}
