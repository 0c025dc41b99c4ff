package dev.unroll.nn.data;

import static dev.unroll.nn.data.CsvLoaderTest.assertLoadError;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxLoaderTest {
  @TempDir Path dir;

  /** IDX bytes from the format: big-endian magic 0x000008nd, big-endian dims, then the bytes. */
  static byte[] idx(int[] dims, byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0, 0, 0x08, (byte) dims.length});
    for (int d : dims) out.writeBytes(new byte[] {(byte) (d >>> 24), (byte) (d >>> 16), (byte) (d >>> 8), (byte) d});
    out.writeBytes(data);
    return out.toByteArray();
  }

  Path put(String name, byte[] bytes, boolean gzip) throws Exception {
    Path p = dir.resolve(name);
    try (OutputStream out = gzip ? new GZIPOutputStream(Files.newOutputStream(p)) : Files.newOutputStream(p)) {
      out.write(bytes);
    }
    return p;
  }

  static final byte[] PIXELS = {0, (byte) 255, (byte) 128, 1, 2, 3, 4, 5, 6, 7, 8, 9}; // two 2x3 images

  @Test
  void readsPlainAndGzippedFiles() throws Exception {
    for (boolean gz : new boolean[] {false, true}) {
      Path im = put("im" + gz, idx(new int[] {2, 2, 3}, PIXELS), gz);
      Path lb = put("lb" + gz, idx(new int[] {2}, new byte[] {7, 3}), gz);
      Dataset d = IdxLoader.load(im, lb, 10, "tiny", DType.F64);
      assertArrayEquals(new int[] {2, 1, 2, 3}, d.x().shape());
      double[] expected = new double[12];
      for (int i = 0; i < 12; i++) expected[i] = (PIXELS[i] & 0xFF) / 255.0;
      assertArrayEquals(expected, d.x().toDoubleArray());
      assertEquals(1.0, d.x().get(0, 0, 0, 1));
      assertArrayEquals(new int[] {7, 3}, d.labels());
      Tensor f = IdxLoader.readImages(im, DType.F32);
      assertEquals(DType.F32, f.dtype());
      assertEquals(128 / 255f, f.toFloatArray()[2]);
    }
  }

  @Test
  void truncatedFilesGiveClearErrors() throws Exception {
    byte[] full = idx(new int[] {2, 2, 3}, PIXELS);
    Path cut = put("cut-images", Arrays.copyOf(full, full.length - 5), false);
    assertLoadError(() -> IdxLoader.readImages(cut, DType.F32), "cut-images", "truncated", "need 12 data bytes", "holds 7");
    Path cutHeader = put("cut-header", Arrays.copyOf(full, 9), false);
    assertLoadError(() -> IdxLoader.readImages(cutHeader, DType.F32), "cut-header", "truncated", "dimension 2");
    Path tiny = put("tiny", new byte[] {0, 0}, false);
    assertLoadError(() -> IdxLoader.readImages(tiny, DType.F32), "tiny", "truncated", "magic");
    Path gzCut = put("gzcut.gz", full, true);
    byte[] gz = Files.readAllBytes(gzCut);
    Files.write(gzCut, Arrays.copyOf(gz, gz.length - 12)); // drop the gzip trailer and some deflate data
    assertLoadError(() -> IdxLoader.readImages(gzCut, DType.F32), "gzcut.gz", "truncated");
  }

  @Test
  void headerChecks() throws Exception {
    Path labelsAsImages = put("labels", idx(new int[] {2}, new byte[] {1, 2}), false);
    assertLoadError(() -> IdxLoader.readImages(labelsAsImages, DType.F32), "labels", "0x00000801", "1 dimension", "3");
    Path notIdx = put("png", new byte[] {(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 0}, false);
    assertLoadError(() -> IdxLoader.readLabels(notIdx, 10), "png", "not an IDX file");
    byte[] ints = idx(new int[] {2}, new byte[8]);
    ints[2] = 0x0C;
    Path intType = put("ints", ints, false);
    assertLoadError(() -> IdxLoader.readLabels(intType, 10), "ints", "0x0C");
    Path trailing = put("trailing", idx(new int[] {2}, new byte[] {1, 2, 3}), false);
    assertLoadError(() -> IdxLoader.readLabels(trailing, 10), "trailing", "continues after");
    Path badLabel = put("badlabel", idx(new int[] {3}, new byte[] {1, 12, 3}), false);
    assertLoadError(() -> IdxLoader.readLabels(badLabel, 10), "badlabel", "label 12 of example 1", "byte offset 9");
    Path im = put("im", idx(new int[] {2, 2, 3}, PIXELS), false);
    Path lb = put("lb3", idx(new int[] {3}, new byte[] {1, 2, 3}), false);
    assertLoadError(() -> IdxLoader.load(im, lb, 10, "x", DType.F32), "2 images", "3 labels");
  }
}
