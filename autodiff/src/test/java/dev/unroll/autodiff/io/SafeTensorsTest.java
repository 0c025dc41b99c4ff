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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {
  @TempDir Path dir;

  @Test
  void roundTripIsBitExact() throws Exception {
    Rng rng = new Rng(7);
    float[] special = {0f, -0f, Float.MIN_VALUE, -Float.MAX_VALUE, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e-40f};
    double[] specialD = {0d, -0d, Double.MIN_VALUE, Double.MAX_VALUE, Double.NEGATIVE_INFINITY, Double.NaN, Math.PI, -1e-310};
    LinkedHashMap<String, Tensor> m = new LinkedHashMap<>();
    m.put("z.weight", Tensor.randn(rng, DType.F32, 3, 5, 2));
    m.put("a.bias", Tensor.randn(rng, DType.F64, 70000)); // spans several write chunks
    m.put("special32", Tensor.of(special, 2, 4));
    m.put("special64", Tensor.of(specialD, 8));
    m.put("scalar", Tensor.scalar(DType.F64, -3.25));
    m.put("empty", Tensor.zeros(DType.F32, 0, 4));
    m.put("transposed", Tensor.randn(rng, DType.F64, 3, 4).t()); // non-contiguous view is written row-major
    Path f = dir.resolve("w.safetensors");
    SafeTensors.write(f, m, Map.of("step", "12", "note", "héllo"));

    SafeTensors.Contents c = SafeTensors.read(f);
    assertEquals(List.copyOf(m.keySet()), c.names(), "insertion order kept");
    assertEquals(Map.of("step", "12", "note", "héllo"), c.metadata());
    for (var e : m.entrySet()) {
      Tensor back = c.tensor(e.getKey());
      assertEquals(e.getValue().dtype(), back.dtype(), e.getKey());
      assertArrayEquals(e.getValue().shape(), back.shape(), e.getKey());
      if (back.dtype() == DType.F32) {
        float[] a = e.getValue().toFloatArray(), b = back.toFloatArray();
        for (int i = 0; i < a.length; i++) assertEquals(Float.floatToRawIntBits(a[i]), Float.floatToRawIntBits(b[i]), e.getKey() + "[" + i + "]");
      } else {
        double[] a = e.getValue().toDoubleArray(), b = back.toDoubleArray();
        for (int i = 0; i < a.length; i++) assertEquals(Double.doubleToRawLongBits(a[i]), Double.doubleToRawLongBits(b[i]), e.getKey() + "[" + i + "]");
      }
    }
    byte[] raw = Files.readAllBytes(f);
    long headerLen = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    assertEquals(0, headerLen % 8, "data starts 8-byte aligned");
    try (var s = Files.list(dir)) {
      assertEquals(List.of(f), s.toList(), "no temporary file left behind");
    }
  }

  @Test
  void integerArraysRoundTrip() {
    Path f = dir.resolve("i.safetensors");
    SafeTensors.builder().putInts("idx", new int[] {3, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}, 2, 2)
        .putLongs("seeds", new long[] {Long.MIN_VALUE, 42}, 2).put("x", Tensor.of(new double[] {1, 2}, 2)).write(f);
    SafeTensors.Contents c = SafeTensors.read(f);
    assertArrayEquals(new int[] {3, -1, Integer.MAX_VALUE, Integer.MIN_VALUE}, c.ints("idx"));
    assertArrayEquals(new int[] {2, 2}, c.array("idx").shape());
    assertArrayEquals(new long[] {Long.MIN_VALUE, 42}, c.longs("seeds"));
    assertEquals(List.of("x"), List.copyOf(SafeTensors.load(f).keySet()), "load() gives the float tensors only");
    assertThrows(IllegalStateException.class, () -> c.tensor("idx"));
    assertThrows(IllegalArgumentException.class, () -> c.tensor("nope"));
  }

  /** Bytes of a two-tensor file written out by hand from the format description. */
  static byte[] handBuiltFile(String json, byte[] data) {
    byte[] h = json.getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long n = h.length;
    for (int i = 0; i < 8; i++) out.write((int) (n >>> (8 * i)) & 0xFF);
    out.writeBytes(h);
    out.writeBytes(data);
    return out.toByteArray();
  }

  static final String TINY_JSON = "{\"__metadata__\":{\"format\":\"pt\"},"
      + "\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[24,32]},"
      + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      + "\"c\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[8,16]},"
      + "\"d\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[16,24]}}";

  static final byte[] TINY_DATA = {
      // a: 1.5f = 0x3FC00000, -2.0f = 0xC0000000, little-endian
      0x00, 0x00, (byte) 0xC0, 0x3F, 0x00, 0x00, 0x00, (byte) 0xC0,
      // c: 0.1 = 0x3FB999999999999A
      (byte) 0x9A, (byte) 0x99, (byte) 0x99, (byte) 0x99, (byte) 0x99, (byte) 0x99, (byte) 0xB9, 0x3F,
      // d: 258 = 0x00000102, -1 = 0xFFFFFFFF
      0x02, 0x01, 0x00, 0x00, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
      // b: 7
      0x07, 0, 0, 0, 0, 0, 0, 0};

  @Test
  void readsAHandBuiltFile() throws Exception {
    Path f = dir.resolve("tiny.safetensors");
    Files.write(f, handBuiltFile(TINY_JSON, TINY_DATA));
    SafeTensors.Contents c = SafeTensors.read(f);
    assertEquals(List.of("b", "a", "c", "d"), c.names(), "header order, not data order");
    assertEquals(Map.of("format", "pt"), c.metadata());
    assertArrayEquals(new float[] {1.5f, -2.0f}, c.tensor("a").toFloatArray());
    assertEquals(DType.F64, c.tensor("c").dtype());
    assertArrayEquals(new int[] {1, 1}, c.tensor("c").shape());
    assertEquals(0.1, c.tensor("c").item());
    assertArrayEquals(new int[] {258, -1}, c.ints("d"));
    assertArrayEquals(new long[] {7}, c.longs("b"));
  }

  @Test
  void writerOutputMatchesTheFormatByteForByte() throws Exception {
    Path f = dir.resolve("one.safetensors");
    SafeTensors.write(f, Map.of("a", Tensor.of(new float[] {1.5f, -2.0f}, 2)));
    String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    String padded = json + " ".repeat((8 - json.length() % 8) % 8);
    byte[] expected = handBuiltFile(padded, new byte[] {0x00, 0x00, (byte) 0xC0, 0x3F, 0x00, 0x00, 0x00, (byte) 0xC0});
    assertArrayEquals(expected, Files.readAllBytes(f));
  }

  private void assertCorrupt(byte[] bytes, String... parts) throws Exception {
    Path f = dir.resolve("bad.safetensors");
    Files.write(f, bytes);
    CorruptFileException e = assertThrows(CorruptFileException.class, () -> SafeTensors.read(f));
    assertTrue(e.getMessage().contains("bad.safetensors"), e.getMessage());
    for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' lacks '" + p + "'");
  }

  private static byte[] tiny(String json, byte[] data) {
    return handBuiltFile(json, data);
  }

  @Test
  void truncatedFiles() throws Exception {
    byte[] ok = handBuiltFile(TINY_JSON, TINY_DATA);
    assertCorrupt(java.util.Arrays.copyOf(ok, 5), "truncated", "8-byte");
    assertCorrupt(java.util.Arrays.copyOf(ok, ok.length - 3), "truncated", "32", "29");
    assertCorrupt(java.util.Arrays.copyOf(ok, 40), "header length", "past the end");
  }

  @Test
  void headerLengthBeyondFile() throws Exception {
    byte[] b = handBuiltFile("{}", new byte[0]);
    b[0] = 100;
    assertCorrupt(b, "header length 100", "past the end");
    byte[] neg = handBuiltFile("{}", new byte[0]);
    for (int i = 0; i < 8; i++) neg[i] = (byte) 0xFF;
    assertCorrupt(neg, "header length 18446744073709551615");
  }

  @Test
  void malformedHeader() throws Exception {
    assertCorrupt(tiny("{\"a\":", new byte[0]), "not valid JSON");
    assertCorrupt(tiny("[1,2]", new byte[0]), "not an object");
    assertCorrupt(tiny("{a:{}}", new byte[0]), "not valid JSON");
    assertCorrupt(tiny("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), "'a'", "data_offsets");
    assertCorrupt(tiny("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]), "shape[0]");
    assertCorrupt(tiny("{\"a\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", new byte[4]), "shape[0]");
    assertCorrupt(tiny("{\"__metadata__\":{\"k\":3}}", new byte[0]), "__metadata__", "'k'");
  }

  @Test
  void unknownDtype() throws Exception {
    assertCorrupt(tiny("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]), "'a'", "dtype 'F16'");
    assertCorrupt(tiny("{\"a\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]), "dtype 'Q7'");
  }

  @Test
  void shapeTimesDtypeSizeMismatch() throws Exception {
    assertCorrupt(tiny("{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,8]}}", new byte[8]), "'a'", "needs 16 bytes", "span 8");
  }

  @Test
  void overlappingAndGappedOffsets() throws Exception {
    String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
    assertCorrupt(tiny(overlap, new byte[8]), "overlap");
    String gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
    assertCorrupt(tiny(gap, new byte[12]), "'b'", "gap");
    String notFromZero = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
    assertCorrupt(tiny(notFromZero, new byte[8]), "gap");
    String backwards = "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}";
    assertCorrupt(tiny(backwards, new byte[4]), "end before");
    String trailing = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    assertCorrupt(tiny(trailing, new byte[9]), "5 bytes after");
  }

  @Test
  void atomicWriteReplacesAnExistingFile() throws Exception {
    Path f = dir.resolve("x.safetensors");
    SafeTensors.write(f, Map.of("a", Tensor.of(new double[] {1}, 1)));
    SafeTensors.write(f, Map.of("b", Tensor.of(new double[] {2, 3}, 2)));
    assertEquals(List.of("b"), SafeTensors.read(f).names());
  }
}
