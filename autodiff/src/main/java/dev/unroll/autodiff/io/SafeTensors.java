package dev.unroll.autodiff.io;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.unroll.autodiff.Tensor;
import java.io.EOFException;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an unsigned 64-bit little-endian header length N, then N bytes of UTF-8
 * JSON, then the data buffer. The JSON object maps each tensor name to {@code {"dtype", "shape",
 * "data_offsets": [begin, end]}} with offsets relative to the start of the data buffer, and may
 * hold a {@code "__metadata__"} object of string values. Tensor data is little-endian, row-major,
 * and the tensors tile the buffer exactly (no gaps, no overlaps, nothing after the last one).
 *
 * <p>Written files keep the insertion order of the map (tensors laid out in that order), pad the
 * header with spaces to a multiple of 8 bytes so the data starts aligned, and are written
 * atomically ({@link AtomicFiles}). Supported dtypes: F32, F64, I32, I64.
 */
public final class SafeTensors {
  /** Headers larger than this are refused as corrupt rather than allocated (the reference implementation's limit). */
  static final long MAX_HEADER_BYTES = 100L << 20;

  private static final String METADATA = "__metadata__";

  private SafeTensors() {}

  // ------------------------------------------------------------------ writing

  /** Writes float tensors, in the map's iteration order, to {@code file}. */
  public static void write(Path file, Map<String, Tensor> tensors) {
    write(file, tensors, Map.of());
  }

  /** Writes float tensors and string metadata to {@code file}. */
  public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
    Builder b = builder();
    tensors.forEach(b::put);
    metadata.forEach(b::metadata);
    b.write(file);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Collects named arrays (float tensors and integer arrays) and metadata, then writes them. */
  public static final class Builder {
    private final LinkedHashMap<String, ArrayData> arrays = new LinkedHashMap<>();
    private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();

    private Builder() {}

    /** Adds a float tensor (its values are copied now). */
    public Builder put(String name, Tensor t) {
      return put(name, ArrayData.of(t));
    }

    public Builder putInts(String name, int[] values, int... shape) {
      return put(name, ArrayData.ofInts(values.clone(), shape));
    }

    public Builder putLongs(String name, long[] values, int... shape) {
      return put(name, ArrayData.ofLongs(values.clone(), shape));
    }

    public Builder put(String name, ArrayData a) {
      if (name.equals(METADATA)) throw new IllegalArgumentException("'" + METADATA + "' is reserved and cannot name a tensor");
      if (arrays.putIfAbsent(name, a) != null) throw new IllegalArgumentException("tensor '" + name + "' added twice");
      return this;
    }

    public Builder metadata(String key, String value) {
      metadata.put(key, value);
      return this;
    }

    /** The header bytes (JSON padded with spaces to a multiple of 8), as written. */
    byte[] header() {
      JsonObject h = new JsonObject();
      if (!metadata.isEmpty()) {
        JsonObject m = new JsonObject();
        metadata.forEach(m::addProperty);
        h.add(METADATA, m);
      }
      long offset = 0;
      for (var e : arrays.entrySet()) {
        ArrayData a = e.getValue();
        JsonObject t = new JsonObject();
        t.addProperty("dtype", a.type().safetensorsName);
        JsonArray shape = new JsonArray();
        for (int s : a.shape()) shape.add(s);
        t.add("shape", shape);
        JsonArray off = new JsonArray();
        off.add(offset);
        offset += a.byteSize();
        off.add(offset);
        t.add("data_offsets", off);
        h.add(e.getKey(), t);
      }
      byte[] json = new Gson().toJson(h).getBytes(StandardCharsets.UTF_8);
      int padded = (json.length + 7) / 8 * 8;
      byte[] out = Arrays.copyOf(json, padded);
      Arrays.fill(out, json.length, padded, (byte) ' ');
      return out;
    }

    /** Writes the file atomically. */
    public void write(Path file) {
      byte[] header = header();
      AtomicFiles.write(file, out -> {
        byte[] len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array();
        out.write(len);
        out.write(header);
        for (ArrayData a : arrays.values()) LittleEndian.write(out, a);
      });
    }
  }

  // ------------------------------------------------------------------ reading

  /** The float tensors of {@code file} in header order (integer arrays are left out: use {@link #read}). */
  public static Map<String, Tensor> load(Path file) {
    return read(file).tensors();
  }

  /** What a safetensors file holds. */
  public static final class Contents {
    private final Path file;
    private final LinkedHashMap<String, ArrayData> arrays;
    private final Map<String, String> metadata;

    private Contents(Path file, LinkedHashMap<String, ArrayData> arrays, Map<String, String> metadata) {
      this.file = file;
      this.arrays = arrays;
      this.metadata = metadata;
    }

    /** Tensor names in header order. */
    public List<String> names() {
      return List.copyOf(arrays.keySet());
    }

    public boolean contains(String name) {
      return arrays.containsKey(name);
    }

    /** The named array; an error naming the file and the names present when it is absent. */
    public ArrayData array(String name) {
      ArrayData a = arrays.get(name);
      if (a == null) throw new IllegalArgumentException(file + ": no tensor '" + name + "' (has " + arrays.keySet() + ")");
      return a;
    }

    /** The named F32/F64 tensor. */
    public Tensor tensor(String name) {
      ArrayData a = array(name);
      if (!a.type().isFloat()) throw new IllegalStateException(file + ": tensor '" + name + "' is " + a.type() + ": read it with ints()/longs()");
      return a.tensor();
    }

    /** The named I32 array. */
    public int[] ints(String name) {
      ArrayData a = array(name);
      if (a.type() != ElementType.I32) throw new IllegalStateException(file + ": tensor '" + name + "' is " + a.type() + ", not I32");
      return a.ints();
    }

    /** The named I32 or I64 array as longs. */
    public long[] longs(String name) {
      ArrayData a = array(name);
      if (a.type().isFloat()) throw new IllegalStateException(file + ": tensor '" + name + "' is " + a.type() + ", not an integer type");
      return a.longs();
    }

    /** All F32/F64 tensors in header order. */
    public Map<String, Tensor> tensors() {
      LinkedHashMap<String, Tensor> out = new LinkedHashMap<>();
      arrays.forEach((k, a) -> {
        if (a.type().isFloat()) out.put(k, a.tensor());
      });
      return out;
    }

    /** The {@code __metadata__} map (empty when the file has none). */
    public Map<String, String> metadata() {
      return metadata;
    }
  }

  private record Entry(String name, ElementType type, int[] shape, long begin, long end) {}

  /**
   * Reads and validates {@code file}.
   *
   * @throws CorruptFileException naming the file and the problem: truncated file, header length
   *     beyond the file, malformed JSON, unknown dtype, bad shape, data_offsets whose span differs
   *     from shape × element size, offsets that leave gaps or overlap, data shorter or longer than
   *     the offsets describe
   */
  public static Contents read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      if (size < 8) throw new CorruptFileException(file, "truncated: " + size + " bytes, shorter than the 8-byte header length field");
      ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, lenBuf, 0, file);
      long headerLen = lenBuf.flip().getLong();
      if (headerLen < 0 || headerLen > size - 8) {
        throw new CorruptFileException(file, "header length " + Long.toUnsignedString(headerLen) + " runs past the end of the file (" + (size - 8) + " bytes follow the length field)");
      }
      if (headerLen > MAX_HEADER_BYTES) throw new CorruptFileException(file, "header length " + headerLen + " exceeds the " + MAX_HEADER_BYTES + "-byte limit");
      ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
      readFully(ch, hb, 8, file);
      String json = new String(hb.array(), StandardCharsets.UTF_8);
      JsonObject header = parseHeader(file, json);

      Map<String, String> metadata = Map.of();
      List<Entry> entries = new ArrayList<>();
      for (var e : header.entrySet()) {
        if (e.getKey().equals(METADATA)) metadata = parseMetadata(file, e.getValue());
        else entries.add(parseEntry(file, e.getKey(), e.getValue()));
      }

      long dataStart = 8 + headerLen;
      long dataLen = size - dataStart;
      List<Entry> byOffset = new ArrayList<>(entries);
      byOffset.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
      long expected = 0;
      for (Entry en : byOffset) {
        if (en.begin < expected) throw new CorruptFileException(file, "tensor '" + en.name + "' data_offsets [" + en.begin + ", " + en.end + "] overlap the previous tensor's data, which ends at " + expected);
        if (en.begin > expected) throw new CorruptFileException(file, "tensor '" + en.name + "' data_offsets [" + en.begin + ", " + en.end + "] leave a gap: the previous tensor's data ends at " + expected);
        expected = en.end;
      }
      if (expected > dataLen) throw new CorruptFileException(file, "truncated: the header describes " + expected + " data bytes but the file holds " + dataLen);
      if (expected < dataLen) throw new CorruptFileException(file, (dataLen - expected) + " bytes after the last tensor's data (the data_offsets cover " + expected + " of " + dataLen + " data bytes)");

      LinkedHashMap<String, ArrayData> arrays = new LinkedHashMap<>();
      for (Entry en : entries) {
        int n = (int) ((en.end - en.begin) / en.type.bytes);
        ByteBuffer buf = ByteBuffer.allocate((int) (en.end - en.begin));
        readFully(ch, buf, dataStart + en.begin, file);
        buf.flip();
        arrays.put(en.name, new ArrayData(en.type, en.shape, LittleEndian.read(buf, en.type, n)));
      }
      return new Contents(file, arrays, metadata);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path file) throws IOException {
    long p = position;
    while (buf.hasRemaining()) {
      int r = ch.read(buf, p);
      if (r < 0) throw new EOFException(file + ": unexpected end of file at byte " + p);
      p += r;
    }
  }

  private static JsonObject parseHeader(Path file, String json) {
    try {
      JsonReader r = new JsonReader(new StringReader(json));
      r.setStrictness(Strictness.STRICT);
      JsonElement el = new Gson().getAdapter(JsonElement.class).read(r);
      if (r.peek() != JsonToken.END_DOCUMENT) throw new CorruptFileException(file, "header has data after its JSON object");
      if (!el.isJsonObject()) throw new CorruptFileException(file, "header is JSON but not an object");
      return el.getAsJsonObject();
    } catch (IOException | RuntimeException e) {
      if (e instanceof CorruptFileException c) throw c;
      throw new CorruptFileException(file, "header is not valid JSON: " + e.getMessage(), e);
    }
  }

  private static Map<String, String> parseMetadata(Path file, JsonElement el) {
    if (!el.isJsonObject()) throw new CorruptFileException(file, "__metadata__ is not a JSON object");
    LinkedHashMap<String, String> m = new LinkedHashMap<>();
    for (var e : el.getAsJsonObject().entrySet()) {
      JsonElement v = e.getValue();
      if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isString()) throw new CorruptFileException(file, "__metadata__ value of '" + e.getKey() + "' is not a string");
      m.put(e.getKey(), v.getAsString());
    }
    return Collections.unmodifiableMap(m);
  }

  private static Entry parseEntry(Path file, String name, JsonElement el) {
    String where = "tensor '" + name + "'";
    if (!el.isJsonObject()) throw new CorruptFileException(file, where + " is not a JSON object");
    JsonObject o = el.getAsJsonObject();
    JsonElement dt = o.get("dtype");
    if (dt == null || !dt.isJsonPrimitive() || !dt.getAsJsonPrimitive().isString()) throw new CorruptFileException(file, where + " has no string dtype");
    ElementType type = ElementType.fromSafetensors(dt.getAsString());
    if (type == null) throw new CorruptFileException(file, where + " has unknown or unsupported dtype '" + dt.getAsString() + "' (supported: F32, F64, I32, I64)");
    JsonElement sh = o.get("shape");
    if (sh == null || !sh.isJsonArray()) throw new CorruptFileException(file, where + " has no shape array");
    JsonArray sa = sh.getAsJsonArray();
    int[] shape = new int[sa.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      long s = nonNegativeInteger(file, where + " shape[" + i + "]", sa.get(i));
      if (s > Integer.MAX_VALUE) throw new CorruptFileException(file, where + " dimension " + s + " is too large");
      shape[i] = (int) s;
      numel *= s;
      if (numel > Integer.MAX_VALUE) throw new CorruptFileException(file, where + " has more than 2^31-1 elements");
    }
    JsonElement off = o.get("data_offsets");
    if (off == null || !off.isJsonArray() || off.getAsJsonArray().size() != 2) throw new CorruptFileException(file, where + " needs data_offsets [begin, end]");
    long begin = nonNegativeInteger(file, where + " data_offsets[0]", off.getAsJsonArray().get(0));
    long end = nonNegativeInteger(file, where + " data_offsets[1]", off.getAsJsonArray().get(1));
    if (end < begin) throw new CorruptFileException(file, where + " data_offsets [" + begin + ", " + end + "] end before they begin");
    if (end - begin != numel * type.bytes) {
      throw new CorruptFileException(file, where + " of shape " + Arrays.toString(shape) + " and dtype " + type + " needs " + numel * type.bytes + " bytes but data_offsets [" + begin + ", " + end + "] span " + (end - begin));
    }
    return new Entry(name, type, shape, begin, end);
  }

  private static long nonNegativeInteger(Path file, String what, JsonElement el) {
    if (el.isJsonPrimitive()) {
      JsonPrimitive p = el.getAsJsonPrimitive();
      if (p.isNumber()) {
        try {
          long v = new BigDecimal(p.getAsString()).longValueExact();
          if (v >= 0) return v;
        } catch (ArithmeticException | NumberFormatException ignored) {
          // reported below
        }
      }
    }
    throw new CorruptFileException(file, what + " is " + el + ", not a non-negative integer");
  }
}
