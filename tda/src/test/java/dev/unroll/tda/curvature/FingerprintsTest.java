package dev.unroll.tda.curvature;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Rng;
import dev.unroll.autodiff.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fingerprint of parameters is SHA-256 over the documented bytes (per tensor: dtype width,
 * rank, shape as little-endian ints, then the values as little-endian IEEE-754), here written out
 * independently value by value; saved factors are keyed by it, so its bytes must never drift.
 */
class FingerprintsTest {
  static String reference(List<Tensor> params) throws Exception {
    MessageDigest md = MessageDigest.getInstance("SHA-256");
    for (Tensor t : params) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      le(out, t.dtype().bytes);
      le(out, t.shape().length);
      for (int s : t.shape()) le(out, s);
      if (t.dtype() == DType.F64) {
        for (double v : t.toDoubleArray()) {
          long b = Double.doubleToRawLongBits(v);
          for (int i = 0; i < 8; i++) out.write((int) (b >>> (8 * i)));
        }
      } else {
        for (float v : t.toFloatArray()) le(out, Float.floatToRawIntBits(v));
      }
      md.update(bytes.toByteArray());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void le(DataOutputStream out, int v) throws IOException {
    for (int i = 0; i < 4; i++) out.write(v >>> (8 * i));
  }

  @Test
  void parametersHashTheirDocumentedBytes() throws Exception {
    Rng r = new Rng(3);
    // More values than one hashing chunk (65 536), in both dtypes.
    List<Tensor> params = List.of(Tensor.randn(r, DType.F32, 300, 301), Tensor.randn(r, DType.F64, 7), Tensor.randn(r, DType.F64, 70_000));
    assertEquals(reference(params), Fingerprints.parameters(params));
    List<Tensor> changed = List.of(params.get(0), params.get(1), params.get(2).mul(Tensor.scalar(DType.F64, 1 + 1e-15)));
    assertNotEquals(Fingerprints.parameters(params), Fingerprints.parameters(changed));
  }
}
