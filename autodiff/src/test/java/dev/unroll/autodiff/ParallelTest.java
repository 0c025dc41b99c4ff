package dev.unroll.autodiff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** The pool: every chunk exactly once, errors surface, nesting is serial, the override and the split. */
class ParallelTest {
  @Test
  void everyChunkRunsExactlyOnce() {
    for (int chunks : new int[] {0, 1, 2, 3, 17, 1000}) {
      AtomicIntegerArray runs = new AtomicIntegerArray(Math.max(1, chunks));
      Parallel.forChunks(chunks, c -> runs.incrementAndGet(c));
      for (int c = 0; c < chunks; c++) assertEquals(1, runs.get(c), "chunk " + c + " of " + chunks);
    }
  }

  @Test
  void aFailingChunkIsRethrownToTheCaller() {
    IllegalStateException boom = new IllegalStateException("chunk 5 failed");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallel.forChunks(8, c -> {
      if (c == 5) throw boom;
    }));
    assertSame(boom, e);
    // The pool still works afterwards.
    AtomicIntegerArray runs = new AtomicIntegerArray(4);
    Parallel.forChunks(4, c -> runs.incrementAndGet(c));
    for (int c = 0; c < 4; c++) assertEquals(1, runs.get(c));
  }

  @Test
  void nestedCallsRunSeriallyOnTheCallingThread() {
    AtomicIntegerArray inner = new AtomicIntegerArray(4 * 6);
    Parallel.forChunks(4, outer -> {
      Thread t = Thread.currentThread();
      Parallel.forChunks(6, c -> {
        assertSame(t, Thread.currentThread(), "a nested chunk left its thread");
        inner.incrementAndGet(outer * 6 + c);
      });
    });
    for (int i = 0; i < 24; i++) assertEquals(1, inner.get(i));
  }

  @Test
  void overrideIsPerThreadClampedAndRestored() {
    int configured = Parallel.configuredThreads();
    assertEquals(configured, Parallel.threads());
    Parallel.withThreads(1, () -> {
      assertEquals(1, Parallel.threads());
      Parallel.withThreads(configured + 5, () -> assertEquals(configured, Parallel.threads()));
      assertEquals(1, Parallel.threads());
      Thread other = new Thread(() -> assertEquals(configured, Parallel.threads()));
      other.start();
      try {
        other.join();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    assertEquals(configured, Parallel.threads());
    assertThrows(IllegalArgumentException.class, () -> Parallel.withThreads(0, () -> 1));
  }

  @Test
  void rangesPartitionWithAlignedBoundaries() {
    for (int n : new int[] {1, 5, 16, 17, 100, 1023}) {
      for (int chunks = 1; chunks <= 5; chunks++) {
        assertEquals(0, Parallel.rangeStart(n, chunks, 4, 0));
        assertEquals(n, Parallel.rangeStart(n, chunks, 4, chunks));
        for (int c = 0; c < chunks; c++) {
          int s = Parallel.rangeStart(n, chunks, 4, c), e = Parallel.rangeStart(n, chunks, 4, c + 1);
          assertTrue(s <= e && (s % 4 == 0 || s == n), "n=" + n + " chunks=" + chunks + " c=" + c + ": [" + s + ", " + e + ")");
        }
      }
    }
  }
}
