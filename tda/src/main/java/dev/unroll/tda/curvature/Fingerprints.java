package dev.unroll.tda.curvature;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * SHA-256 fingerprints of parameter values and data sets, the keys under which fitted curvature is
 * cached: two fits with the same fingerprints and options produce the same factors. Values are
 * hashed with their dtype and shape, in little-endian IEEE-754 bytes.
 */
public final class Fingerprints {
  private Fingerprints() {}

  /** The fingerprint of a list of parameter tensors (order matters). */
  public static String parameters(List<Tensor> params) {
    MessageDigest md = sha256();
    for (Tensor t : params) tensor(md, t);
    return HexFormat.of().formatHex(md.digest());
  }

  /** The fingerprint of a data set's inputs and targets. */
  public static String dataset(Dataset d) {
    MessageDigest md = sha256();
    tensor(md, d.x());
    Targets y = d.y();
    if (y instanceof Targets.Regression r) {
      md.update((byte) 'R');
      tensor(md, r.values());
    } else if (y instanceof Targets.Classes c) {
      md.update((byte) 'C');
      ByteBuffer bb = ByteBuffer.allocate(4 * (c.labels().length + 1)).order(ByteOrder.LITTLE_ENDIAN);
      bb.putInt(c.numClasses());
      for (int l : c.labels()) bb.putInt(l);
      md.update(bb.array());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void tensor(MessageDigest md, Tensor t) {
    int[] shape = t.shape();
    ByteBuffer head = ByteBuffer.allocate(8 + 4 * shape.length).order(ByteOrder.LITTLE_ENDIAN);
    head.putInt(t.dtype().bytes).putInt(shape.length);
    for (int s : shape) head.putInt(s);
    md.update(head.array());
    int chunk = 1 << 16;
    // Bulk puts through a typed view: the bytes are the same as element by element, without a bounds
    // check per value (this hash runs on every fit and scoring call).
    if (t.dtype() == DType.F64) {
      double[] v = t.toDoubleArray();
      ByteBuffer bb = ByteBuffer.allocate(8 * chunk).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < v.length; i += chunk) {
        int len = Math.min(chunk, v.length - i);
        bb.clear();
        bb.asDoubleBuffer().put(v, i, len);
        md.update(bb.array(), 0, 8 * len);
      }
    } else {
      float[] v = t.toFloatArray();
      ByteBuffer bb = ByteBuffer.allocate(4 * chunk).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < v.length; i += chunk) {
        int len = Math.min(chunk, v.length - i);
        bb.clear();
        bb.asFloatBuffer().put(v, i, len);
        md.update(bb.array(), 0, 4 * len);
      }
    }
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  }
}
