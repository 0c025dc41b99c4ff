package dev.unroll.nn.data;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.nn.Targets;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * The IDX files of MNIST and Fashion-MNIST ({@code *-idx3-ubyte}, {@code *-idx1-ubyte}, gzipped or
 * not). Layout: a big-endian int32 magic 0x0000TTDD (TT = element type, 0x08 for unsigned bytes;
 * DD = number of dimensions), one big-endian int32 per dimension, then the elements in row-major
 * order. Images are 0x00000803 (N, rows, cols), labels 0x00000801 (N).
 */
public final class IdxLoader {
  private IdxLoader() {}

  /**
   * Images as x[n, 0, r, c] = byte / 255, shape [N, 1, rows, cols] (one channel, ready for
   * convolutions; {@link Dataset#flattenInputs()} gives [N, rows·cols]).
   */
  public static Tensor readImages(Path file, DType dtype) {
    Idx idx = read(file, 3, "an image file (magic 0x00000803)");
    int n = idx.dims[0], r = idx.dims[1], c = idx.dims[2];
    byte[] b = idx.data;
    if (dtype == DType.F32) {
      float[] v = new float[b.length];
      for (int i = 0; i < v.length; i++) v[i] = (b[i] & 0xFF) / 255f;
      return Tensor.of(v, n, 1, r, c);
    }
    double[] v = new double[b.length];
    for (int i = 0; i < v.length; i++) v[i] = (b[i] & 0xFF) / 255.0;
    return Tensor.of(v, n, 1, r, c);
  }

  /** Labels, each checked to lie in [0, numClasses). */
  public static int[] readLabels(Path file, int numClasses) {
    Idx idx = read(file, 1, "a label file (magic 0x00000801)");
    int[] out = new int[idx.dims[0]];
    for (int i = 0; i < out.length; i++) {
      out[i] = idx.data[i] & 0xFF;
      if (out[i] >= numClasses) throw new DataLoadException(file.toString(), "label " + out[i] + " of example " + i + " (byte offset " + (idx.headerBytes + i) + ") is outside [0, " + numClasses + ")");
    }
    return out;
  }

  /** Images and labels as one data set; the two files must hold the same number of examples. */
  public static Dataset load(Path images, Path labels, int numClasses, String name, DType dtype) {
    Tensor x = readImages(images, dtype);
    int[] y = readLabels(labels, numClasses);
    if (x.dim(0) != y.length) throw new DataLoadException(images.toString(), x.dim(0) + " images but " + labels + " holds " + y.length + " labels");
    return new Dataset(name, x, new Targets.Classes(y, numClasses));
  }

  private record Idx(int[] dims, byte[] data, long headerBytes) {}

  private static Idx read(Path file, int rank, String what) {
    String src = file.toString();
    try (InputStream raw = DataFiles.open(src, DataFiles.of(file)); DataInputStream in = new DataInputStream(raw)) {
      int magic;
      try {
        magic = in.readInt();
      } catch (EOFException e) {
        throw new DataLoadException(src, "truncated: shorter than the 4-byte IDX magic number");
      }
      if ((magic >>> 16) != 0) throw new DataLoadException(src, String.format("not an IDX file: magic number 0x%08X does not start with two zero bytes", magic));
      int type = (magic >>> 8) & 0xFF, nd = magic & 0xFF;
      if (type != 0x08) throw new DataLoadException(src, String.format("IDX element type 0x%02X is not supported (only unsigned bytes, 0x08)", type));
      if (nd != rank) throw new DataLoadException(src, String.format("magic number 0x%08X gives %d dimension(s), but %s has %d", magic, nd, what, rank));
      int[] dims = new int[rank];
      long numel = 1;
      for (int k = 0; k < rank; k++) {
        try {
          dims[k] = in.readInt();
        } catch (EOFException e) {
          throw new DataLoadException(src, "truncated: the header ends before dimension " + (k + 1) + " of " + rank);
        }
        if (dims[k] < 0) throw new DataLoadException(src, "dimension " + (k + 1) + " is negative (" + Integer.toUnsignedString(dims[k]) + " as unsigned)");
        numel *= dims[k];
      }
      if (numel > Integer.MAX_VALUE - 16) throw new DataLoadException(src, numel + " elements are more than one array can hold");
      long header = 4L + 4L * rank;
      byte[] data = new byte[(int) numel];
      int got = in.readNBytes(data, 0, data.length);
      if (got < data.length) {
        throw new DataLoadException(src, "truncated: dimensions " + java.util.Arrays.toString(dims) + " need " + numel + " data bytes after the " + header + "-byte header, the file holds " + got);
      }
      if (in.read() != -1) throw new DataLoadException(src, "data continues after the " + numel + " bytes that dimensions " + java.util.Arrays.toString(dims) + " describe");
      return new Idx(dims, data, header);
    } catch (EOFException e) {
      throw new DataLoadException(src, "truncated: the compressed stream ends early (" + e.getMessage() + ")", e);
    } catch (IOException e) {
      throw new DataLoadException(src, "cannot read: " + e, e);
    }
  }
}
