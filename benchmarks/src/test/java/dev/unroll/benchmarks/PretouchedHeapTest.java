package dev.unroll.benchmarks;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

/** The committed heap of the single-shot forks: 6 GB where memory allows, half of memory below 12 GB. */
class PretouchedHeapTest {
  @Test
  void heapIsSixGigabytesOrHalfOfASmallerMachine() {
    assertArrayEquals(new String[] {"-Xms6144m", "-Xmx6144m", "-XX:+AlwaysPreTouch"}, BenchMain.pretouchedHeap(24L << 30));
    assertArrayEquals(new String[] {"-Xms6144m", "-Xmx6144m", "-XX:+AlwaysPreTouch"}, BenchMain.pretouchedHeap(12L << 30));
    assertArrayEquals(new String[] {"-Xms4096m", "-Xmx4096m", "-XX:+AlwaysPreTouch"}, BenchMain.pretouchedHeap(8L << 30));
    assertArrayEquals(new String[] {"-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch"}, BenchMain.pretouchedHeap(600L << 20));
  }
}
