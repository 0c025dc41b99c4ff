package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** {@link Tensor#ownsStorage} agrees with what the storage accessors accept; {@link Tensor#owning} copies only views. */
class TensorStorageTest {
  @Test
  void freshTensorsOwnTheirStorageAndViewsDoNot() {
    for (DType dt : DType.values()) {
      Tensor x = Tensor.of(dt, new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
      assertTrue(x.ownsStorage(), dt + " fresh");
      assertSame(x, x.owning());
      Tensor t = x.t(), s = x.slice(0, 1, 2);
      for (Tensor v : new Tensor[] {t, s}) {
        assertFalse(v.ownsStorage(), dt + " view " + java.util.Arrays.toString(v.shape()));
        assertThrows(IllegalStateException.class, () -> storage(v));
        Tensor o = v.owning();
        assertTrue(o.ownsStorage());
        assertEquals(dt, o.dtype());
        assertArrayEquals(v.shape(), o.shape());
        assertArrayEquals(v.toDoubleArray(), o.toDoubleArray());
        storage(o);
      }
    }
  }

  private static Object storage(Tensor t) {
    return t.dtype() == DType.F64 ? t.doubleStorage() : t.floatStorage();
  }
}
