package dev.unroll.nn.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Batch;
import dev.unroll.nn.Targets;
import org.junit.jupiter.api.Test;

class DatasetTest {
  /** Example i has inputs [i, 100 + i, 200 + i] (shape [3]) and label i mod 4. */
  static Dataset numbered(int n) {
    double[] x = new double[n * 3];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      x[3 * i] = i;
      x[3 * i + 1] = 100 + i;
      x[3 * i + 2] = 200 + i;
      y[i] = i % 4;
    }
    return new Dataset("numbered", Tensor.of(x, n, 3), new Targets.Classes(y, 4));
  }

  @Test
  void subsetsMapBackToParentAndRoot() {
    Dataset root = numbered(20);
    Dataset a = root.subset(new int[] {5, 7, 9, 11, 13, 15});
    Dataset b = a.subset(new int[] {4, 0, 2});
    assertEquals(3, b.size());
    assertArrayEquals(new int[] {4, 0, 2}, b.parentIndices());
    assertArrayEquals(new int[] {13, 5, 9}, b.rootIndices());
    assertEquals(13, b.rootIndex(0));
    assertEquals(4, b.parentIndex(0));
    assertTrue(b.hasParent());
    assertFalse(root.hasParent());
    assertArrayEquals(new int[] {0, 1, 2}, root.subset(new int[] {0, 1, 2}).parentIndices());
    // Values follow the root indices.
    assertArrayEquals(new double[] {13, 113, 213, 5, 105, 205, 9, 109, 209}, b.x().toDoubleArray());
    assertArrayEquals(new int[] {1, 1, 1}, b.labels());
  }

  @Test
  void batchGathersRowsAndKeepsThisSetsIndices() {
    Dataset s = numbered(10).subset(new int[] {9, 8, 7, 6});
    Batch batch = s.batch(new int[] {3, 1});
    assertArrayEquals(new int[] {3, 1}, batch.indices(), "indices are in the subset, not the root");
    assertArrayEquals(new int[] {2, 3}, batch.x().shape());
    assertArrayEquals(new double[] {6, 106, 206, 8, 108, 208}, batch.x().toDoubleArray());
    assertArrayEquals(new int[] {2, 0}, ((Targets.Classes) batch.y()).labels());
    assertThrows(IndexOutOfBoundsException.class, () -> s.batch(new int[] {4}));
    assertThrows(IndexOutOfBoundsException.class, () -> s.subset(new int[] {-1}));
  }

  @Test
  void rootInputsAreNotCopied() {
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
    Dataset d = new Dataset("d", x, new Targets.Regression(Tensor.of(new double[] {1, 2, 3}, 3, 1)));
    assertSame(x.floatStorage(), d.x().floatStorage());
  }

  @Test
  void viewsAreCopiedOnceOnConstruction() {
    Tensor t = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3).t(); // [3, 2] view
    Dataset d = new Dataset("t", t, new Targets.Classes(new int[] {0, 1, 0}, 2));
    assertArrayEquals(new double[] {1, 4, 2, 5, 3, 6}, d.x().toDoubleArray());
    assertArrayEquals(new double[] {2, 5}, d.batch(new int[] {1}).x().toDoubleArray());
  }

  @Test
  void conversionsKeepIndices() {
    Dataset s = numbered(8).subset(new int[] {6, 2});
    Dataset f = s.to(DType.F32);
    assertEquals(DType.F32, f.dtype());
    assertArrayEquals(new int[] {6, 2}, f.rootIndices());
    assertArrayEquals(new float[] {6, 106, 206, 2, 102, 202}, f.x().toFloatArray());
    assertSame(s, s.to(DType.F64));

    Dataset flat = numbered(4).reshapeInputs(3, 1).flattenInputs();
    assertArrayEquals(new int[] {3}, flat.inputShape());
    Dataset relabeled = s.withTargets(new Targets.Classes(new int[] {3, 3}, 4));
    assertArrayEquals(new int[] {3, 3}, relabeled.labels());
    assertArrayEquals(new int[] {3}, ((Targets.Classes) relabeled.batch(new int[] {1}).y()).labels());
    assertArrayEquals(new int[] {6, 2}, relabeled.rootIndices());
    assertThrows(IllegalArgumentException.class, () -> s.withTargets(new Targets.Classes(new int[] {1}, 4)));
  }

  @Test
  void mismatchedSizesAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Dataset("bad", Tensor.zeros(DType.F64, 3, 2), new Targets.Classes(new int[] {0, 1}, 2)));
    assertTrue(e.getMessage().contains("3 inputs but 2 targets"), e.getMessage());
  }
}
