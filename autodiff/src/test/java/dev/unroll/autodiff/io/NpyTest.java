package dev.unroll.autodiff.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {
  @TempDir Path dir;

  /** A version 1.0 file as numpy.save lays it out: dict padded with spaces and a newline to a multiple of 64 bytes. */
  static byte[] numpyStyle(String dict, byte[] data) {
    int total = 10 + dict.length() + 1;
    total = (total + 63) / 64 * 64;
    int headerLen = total - 10;
    String padded = dict + " ".repeat(headerLen - dict.length() - 1) + "\n";
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x93);
    out.writeBytes("NUMPY".getBytes(StandardCharsets.US_ASCII));
    out.write(1);
    out.write(0);
    out.write(headerLen & 0xFF);
    out.write(headerLen >>> 8);
    out.writeBytes(padded.getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(data);
    return out.toByteArray();
  }

  static final byte[] F8_2x2 = {
      0, 0, 0, 0, 0, 0, (byte) 0xF0, 0x3F, // 1.0
      0, 0, 0, 0, 0, 0, 0, (byte) 0xC0, // -2.0
      (byte) 0x9A, (byte) 0x99, (byte) 0x99, (byte) 0x99, (byte) 0x99, (byte) 0x99, (byte) 0xB9, 0x3F, // 0.1
      0, 0, 0, 0, 0, 0, (byte) 0xF0, 0x7F}; // +inf

  @Test
  void writerMatchesNumpyLayoutByteForByte() throws Exception {
    Path f = dir.resolve("m.npy");
    Npy.write(f, Tensor.of(new double[] {1, -2, 0.1, Double.POSITIVE_INFINITY}, 2, 2));
    byte[] expected = numpyStyle("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", F8_2x2);
    assertEquals(128, expected.length - F8_2x2.length, "numpy's header for this array is 128 bytes");
    assertArrayEquals(expected, Files.readAllBytes(f));
  }

  @Test
  void readsHandBuiltFiles() throws Exception {
    Path f = dir.resolve("h.npy");
    Files.write(f, numpyStyle("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", F8_2x2));
    Tensor t = Npy.readTensor(f);
    assertArrayEquals(new int[] {2, 2}, t.shape());
    assertArrayEquals(new double[] {1, -2, 0.1, Double.POSITIVE_INFINITY}, t.toDoubleArray());

    // Key order and spacing differ between numpy versions; a 1-d int32 array.
    Files.write(f, numpyStyle("{'shape': (3,), 'fortran_order': False, 'descr': '<i4'}", new byte[] {1, 0, 0, 0, (byte) 0xFE, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 1, 0, 0}));
    ArrayData a = Npy.read(f);
    assertEquals(ElementType.I32, a.type());
    assertArrayEquals(new int[] {3}, a.shape());
    assertArrayEquals(new int[] {1, -2, 256}, a.ints());

    // A 0-d float32 scalar.
    Files.write(f, numpyStyle("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", new byte[] {0, 0, (byte) 0xC0, 0x3F}));
    Tensor s = Npy.readTensor(f);
    assertEquals(0, s.rank());
    assertEquals(1.5, s.item());
  }

  @Test
  void roundTrips() {
    Rng rng = new Rng(3);
    Path f = dir.resolve("r.npy");
    for (Tensor t : new Tensor[] {Tensor.randn(rng, DType.F32, 7, 3), Tensor.randn(rng, DType.F64, 100, 9), Tensor.randn(rng, DType.F64, 5), Tensor.zeros(DType.F32, 0, 3), Tensor.randn(rng, DType.F64, 2, 3, 4)}) {
      Npy.write(f, t);
      Tensor back = Npy.readTensor(f);
      assertEquals(t.dtype(), back.dtype());
      assertArrayEquals(t.shape(), back.shape());
      assertArrayEquals(t.toDoubleArray(), back.toDoubleArray());
    }
    Npy.writeInts(f, new int[] {5, -6, 7, 8, 9, 10}, 3, 2);
    ArrayData a = Npy.read(f);
    assertArrayEquals(new int[] {3, 2}, a.shape());
    assertArrayEquals(new int[] {5, -6, 7, 8, 9, 10}, a.ints());
  }

  private void assertCorrupt(byte[] bytes, String... parts) throws Exception {
    Path f = dir.resolve("bad.npy");
    Files.write(f, bytes);
    CorruptFileException e = assertThrows(CorruptFileException.class, () -> Npy.read(f));
    assertTrue(e.getMessage().contains("bad.npy"), e.getMessage());
    for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' lacks '" + p + "'");
  }

  @Test
  void corruptionIsDetected() throws Exception {
    byte[] ok = numpyStyle("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", F8_2x2);
    assertCorrupt("PK\3\4 not npy".getBytes(StandardCharsets.US_ASCII), "not a .npy file");
    assertCorrupt(Arrays.copyOf(ok, ok.length - 1), "truncated", "needs 32", "holds 31");
    assertCorrupt(Arrays.copyOf(ok, ok.length + 8), "8 bytes after");
    assertCorrupt(Arrays.copyOf(ok, 60), "header length 118", "past the end");
    byte[] v9 = ok.clone();
    v9[6] = 9;
    assertCorrupt(v9, "version 9.0");
    assertCorrupt(numpyStyle("{'descr': '>f8', 'fortran_order': False, 'shape': (2, 2), }", F8_2x2), "descr '>f8'");
    assertCorrupt(numpyStyle("{'descr': '<f8', 'fortran_order': True, 'shape': (2, 2), }", F8_2x2), "fortran_order");
    assertCorrupt(numpyStyle("{'descr': '<f8', 'fortran_order': False, 'shape': (2, x), }", F8_2x2), "shape");
    assertCorrupt(numpyStyle("{'descr': '<f8', 'fortran_order': False}", F8_2x2), "lacks");
  }
}
