package dev.unroll.optim.train;

import com.google.gson.JsonParseException;
import dev.unroll.autodiff.Backend;
import dev.unroll.autodiff.Backends;
import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.Tensor;
import dev.unroll.autodiff.io.AtomicFiles;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.autodiff.io.SafeTensors;
import dev.unroll.nn.Targets;
import dev.unroll.nn.data.Dataset;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A recorded run on disk, self-describing:
 * <pre>
 *   config.json                          the {@link RunConfig}
 *   manifest.json                        status, steps completed, stage data (name, size, SHA-256),
 *                                        planned checkpoints, segments, and every stored file with
 *                                        its SHA-256
 *   steps-NNNNNNNN.safetensors           per completed step: batch indices (flat I32 with offsets),
 *                                        stage (I32), learning rate and loss (F64)
 *   checkpoints/step-NNNNNNNN.safetensors   θ_c as "param/NAME" and the optimizer state as
 *                                        "optim/KEY", metadata "step"
 * </pre>
 * Every file is written atomically, and the manifest is rewritten only after the files it lists
 * are complete, so a run killed at any moment leaves a consistent directory whose last listed
 * checkpoint can be resumed. On load, each file's SHA-256 is checked against the manifest and the
 * safetensors structure is validated: a truncated or altered file is reported by name
 * ({@link CorruptFileException}).
 */
public final class RunDirectory implements SnapshotStore {
  static final String FORMAT = "unroll-run/1";
  static final String CONFIG = "config.json";
  static final String MANIFEST = "manifest.json";

  /** The manifest as stored (gson). */
  record Manifest(String format, String status, String message, int totalSteps, int stepsCompleted, String backend, List<StageData> data,
      int[] plannedCheckpoints, List<Segment> segments, List<FileEntry> checkpoints, FileEntry steps) {}

  /** A stage's data as trained on: name, number of examples, SHA-256 of inputs and targets. */
  record StageData(String dataset, int size, String sha256) {}

  /** A stored file: the step it belongs to, its path relative to the directory, SHA-256 and size. */
  record FileEntry(int step, String file, String sha256, long bytes) {}

  private final Path dir;
  private final RunConfig config;
  private Manifest manifest;

  private RunDirectory(Path dir, RunConfig config, Manifest manifest) {
    this.dir = dir;
    this.config = config;
    this.manifest = manifest;
  }

  /** Whether {@code dir} holds a recorded run (a manifest). */
  public static boolean exists(Path dir) {
    return Files.exists(dir.resolve(MANIFEST));
  }

  /** Starts a new run directory: writes config.json and an empty manifest. */
  static RunDirectory create(Path dir, RunRecord record, List<Dataset> stageData) {
    return create(dir, record, stageData, Backends.cpu());
  }

  /** {@link #create(Path, RunRecord, List)} for a run computed on {@code device} (named in the manifest). */
  static RunDirectory create(Path dir, RunRecord record, List<Dataset> stageData, Backend device) {
    if (exists(dir)) throw new IllegalStateException(dir + " already holds a recorded run; resume it or choose another directory");
    RunConfig config = record.config();
    config.save(dir.resolve(CONFIG));
    List<StageData> data = new ArrayList<>();
    for (int s = 0; s < stageData.size(); s++) data.add(new StageData(config.stage(s).data().dataset(), stageData.get(s).size(), fingerprint(stageData.get(s))));
    Manifest m = new Manifest(FORMAT, "running", null, record.totalSteps(), 0, device.name(), data, record.checkpointSteps(), record.segments(), List.of(), null);
    RunDirectory d = new RunDirectory(dir, config, m);
    d.writeManifest();
    return d;
  }

  /**
   * Opens a recorded run.
   *
   * @throws CorruptFileException naming config.json or manifest.json when either is unreadable
   */
  public static RunDirectory open(Path dir) {
    if (!exists(dir)) throw new IllegalArgumentException("no recorded run in " + dir + " (no " + MANIFEST + ")");
    RunConfig config = RunConfig.load(dir.resolve(CONFIG));
    Path mf = dir.resolve(MANIFEST);
    Manifest m;
    try {
      m = RunConfig.gson().fromJson(Files.readString(mf, StandardCharsets.UTF_8), Manifest.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + mf + ": " + e.getMessage(), e);
    } catch (JsonParseException | IllegalArgumentException e) {
      throw new CorruptFileException(mf, "not a valid run manifest: " + e.getMessage(), e);
    }
    if (m == null || !FORMAT.equals(m.format()) || m.checkpoints() == null || m.data() == null) {
      throw new CorruptFileException(mf, "not a run manifest of format " + FORMAT);
    }
    return new RunDirectory(dir, config, m);
  }

  public Path path() {
    return dir;
  }

  public RunConfig config() {
    return config;
  }

  /** "running", "complete" or "diverged". */
  public String status() {
    return manifest.status();
  }

  /** The divergence message of a diverged run (null otherwise). */
  public String message() {
    return manifest.message();
  }

  /** Steps completed up to the last stored checkpoint (what a resume starts from). */
  public int stepsCompleted() {
    return manifest.stepsCompleted();
  }

  /** The backend the run was computed on (replay is bit-identical on the same CPU backend). */
  public String backend() {
    return manifest.backend();
  }

  /** The segments of the run. */
  public List<Segment> segments() {
    return manifest.segments();
  }

  @Override
  public int[] steps() {
    return manifest.checkpoints().stream().mapToInt(FileEntry::step).toArray();
  }

  /** The last stored checkpoint step. */
  public int lastCheckpoint() {
    int[] s = steps();
    if (s.length == 0) throw new IllegalStateException(dir + ": no checkpoint stored yet");
    return s[s.length - 1];
  }

  /**
   * The run's record: planned from the configuration and the recorded data sizes, with the losses
   * of the completed steps read from steps.safetensors; the stored batches and learning rates are
   * checked against the plan.
   */
  public RunRecord record() {
    int[] sizes = manifest.data().stream().mapToInt(StageData::size).toArray();
    RunRecord r = RunRecord.plan(config, sizes);
    int done = manifest.stepsCompleted();
    if (done == 0) return r;
    Path f = verified(manifest.steps());
    SafeTensors.Contents c = SafeTensors.read(f);
    int[] offsets = c.ints("batch_offsets");
    int[] flat = c.ints("batch_indices");
    double[] lrs = c.tensor("lr").toDoubleArray();
    double[] losses = c.tensor("loss").toDoubleArray();
    if (offsets.length < done + 1 || lrs.length < done || losses.length < done) throw new CorruptFileException(f, "holds fewer than the " + done + " steps the manifest lists");
    for (int k = 0; k < done; k++) {
      int[] b = Arrays.copyOfRange(flat, offsets[k], offsets[k + 1]);
      if (!Arrays.equals(b, r.batchView(k)) || Double.doubleToLongBits(lrs[k]) != Double.doubleToLongBits(r.lr(k))) {
        throw new IllegalStateException(f + ": step " + k + " was recorded with batch " + Arrays.toString(b) + " and learning rate " + lrs[k]
            + ", but the configuration plans " + Arrays.toString(r.batchView(k)) + " and " + r.lr(k));
      }
    }
    r.rewindTo(done, losses);
    return r;
  }

  /**
   * The trajectory of this run over {@code source}'s data, replaying from the stored checkpoints.
   * The data is checked against the recorded fingerprints.
   */
  public Trajectory trajectory(DataSource source) {
    return new Replayer(record(), stageData(source), this);
  }

  /** The stage data resolved from {@code source}, converted to the run's dtype, checked against the recorded sizes and fingerprints. */
  public List<Dataset> stageData(DataSource source) {
    List<Dataset> out = new ArrayList<>();
    for (int s = 0; s < config.numStages(); s++) {
      Dataset d = config.stage(s).data().resolve(source).to(config.dataType());
      StageData want = manifest.data().get(s);
      String got = fingerprint(d);
      if (d.size() != want.size() || !got.equals(want.sha256())) {
        throw new IllegalArgumentException("stage " + s + " data '" + want.dataset() + "' (" + d.size() + " examples, SHA-256 " + got + ") differs from what " + dir
            + " was trained on (" + want.size() + " examples, SHA-256 " + want.sha256() + ")");
      }
      out.add(d);
    }
    return out;
  }

  @Override
  public Snapshot load(int step) {
    FileEntry e = null;
    for (FileEntry f : manifest.checkpoints()) if (f.step() == step) e = f;
    if (e == null) throw new IllegalArgumentException(dir + ": no checkpoint of step " + step + "; stored: " + Arrays.toString(steps()));
    Path f = verified(e);
    SafeTensors.Contents c = SafeTensors.read(f);
    LinkedHashMap<String, Tensor> params = new LinkedHashMap<>(), state = new LinkedHashMap<>();
    for (String name : c.names()) {
      if (name.startsWith("param/")) params.put(name.substring(6), c.tensor(name));
      else if (name.startsWith("optim/")) state.put(name.substring(6), c.tensor(name));
      else throw new CorruptFileException(f, "unexpected tensor '" + name + "' (expected param/... or optim/...)");
    }
    String st = c.metadata().get("step");
    if (st == null || !st.equals(Integer.toString(step))) throw new CorruptFileException(f, "metadata step is " + st + ", the manifest lists it as step " + step);
    return new Snapshot(step, params, state);
  }

  // ------------------------------------------------------------------ writing (the trainer)

  /** Stores a checkpoint and the steps completed so far, then lists both in the manifest. */
  void writeCheckpoint(Snapshot s, RunRecord record) {
    Path rel = Path.of("checkpoints", String.format("step-%08d.safetensors", s.step()));
    Path f = dir.resolve(rel);
    SafeTensors.Builder b = SafeTensors.builder().metadata("step", Integer.toString(s.step()));
    s.parameters().forEach((k, v) -> b.put("param/" + k, v));
    s.optimizerState().forEach((k, v) -> b.put("optim/" + k, v));
    b.write(f);
    FileEntry ckpt = entry(s.step(), rel);
    FileEntry steps = s.step() == 0 ? manifest.steps() : writeSteps(record, s.step());
    List<FileEntry> list = new ArrayList<>();
    for (FileEntry x : manifest.checkpoints()) if (x.step() < s.step()) list.add(x);
    list.add(ckpt);
    FileEntry old = manifest.steps();
    manifest = new Manifest(FORMAT, "running", null, manifest.totalSteps(), s.step(), manifest.backend(), manifest.data(), manifest.plannedCheckpoints(), manifest.segments(), list, steps);
    writeManifest();
    if (old != null && !old.file().equals(steps.file())) {
      try {
        Files.deleteIfExists(dir.resolve(old.file()));
      } catch (IOException e) {
        // A stale steps file is harmless (the manifest no longer lists it); leave it.
      }
    }
  }

  void markComplete() {
    manifest = new Manifest(FORMAT, "complete", null, manifest.totalSteps(), manifest.stepsCompleted(), manifest.backend(), manifest.data(), manifest.plannedCheckpoints(), manifest.segments(), manifest.checkpoints(), manifest.steps());
    writeManifest();
  }

  void markDiverged(String message) {
    manifest = new Manifest(FORMAT, "diverged", message, manifest.totalSteps(), manifest.stepsCompleted(), manifest.backend(), manifest.data(), manifest.plannedCheckpoints(), manifest.segments(), manifest.checkpoints(), manifest.steps());
    writeManifest();
  }

  private FileEntry writeSteps(RunRecord record, int done) {
    int[] offsets = new int[done + 1];
    int total = 0;
    for (int k = 0; k < done; k++) {
      total += record.batchView(k).length;
      offsets[k + 1] = total;
    }
    int[] flat = new int[total];
    int[] stage = new int[done];
    double[] lr = new double[done], loss = new double[done];
    for (int k = 0; k < done; k++) {
      System.arraycopy(record.batchView(k), 0, flat, offsets[k], offsets[k + 1] - offsets[k]);
      stage[k] = record.stageOf(k);
      lr[k] = record.lr(k);
      loss[k] = record.loss(k);
    }
    // A new name per checkpoint: the file the manifest lists is never overwritten before the
    // manifest itself moves on, so a crash in between leaves a consistent directory.
    Path rel = Path.of(String.format("steps-%08d.safetensors", done));
    SafeTensors.builder().metadata("steps", Integer.toString(done))
        .putInts("batch_offsets", offsets, done + 1).putInts("batch_indices", flat, total).putInts("stage", stage, done)
        .put("lr", Tensor.of(lr, done)).put("loss", Tensor.of(loss, done)).write(dir.resolve(rel));
    return entry(done, rel);
  }

  private void writeManifest() {
    AtomicFiles.writeString(dir.resolve(MANIFEST), RunConfig.gson().toJson(manifest) + "\n");
  }

  private FileEntry entry(int step, Path rel) {
    Path f = dir.resolve(rel);
    try {
      return new FileEntry(step, rel.toString().replace('\\', '/'), sha256(f), Files.size(f));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read back " + f + ": " + e.getMessage(), e);
    }
  }

  /** The file of an entry after checking that it exists with the listed size and SHA-256. */
  private Path verified(FileEntry e) {
    if (e == null) throw new CorruptFileException(dir.resolve(MANIFEST), "lists no steps file although steps were completed");
    Path f = dir.resolve(e.file());
    try {
      if (!Files.exists(f)) throw new CorruptFileException(f, "missing (listed in " + MANIFEST + ")");
      long size = Files.size(f);
      if (size != e.bytes()) throw new CorruptFileException(f, "truncated or altered: " + size + " bytes, the manifest lists " + e.bytes());
      String h = sha256(f);
      if (!h.equals(e.sha256())) throw new CorruptFileException(f, "corrupted: SHA-256 " + h + " differs from the manifest's " + e.sha256());
      return f;
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot read " + f + ": " + ex.getMessage(), ex);
    }
  }

  static String sha256(Path f) throws IOException {
    MessageDigest md = sha();
    try (InputStream in = Files.newInputStream(f)) {
      byte[] buf = new byte[1 << 16];
      int r;
      while ((r = in.read(buf)) > 0) md.update(buf, 0, r);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  /** SHA-256 of a data set's inputs (as their dtype's bytes) and targets: identifies the data a run trained on. */
  static String fingerprint(Dataset d) {
    MessageDigest md = sha();
    Tensor x = d.x();
    md.update(Arrays.toString(x.shape()).getBytes(StandardCharsets.UTF_8));
    md.update(x.dtype().name().getBytes(StandardCharsets.UTF_8));
    if (x.dtype() == DType.F64) digest(md, x.toDoubleArray());
    else digest(md, x.toFloatArray());
    Targets y = d.y();
    if (y instanceof Targets.Regression r) {
      md.update((byte) 'R');
      digest(md, r.values().toDoubleArray());
    } else if (y instanceof Targets.Classes c) {
      md.update((byte) 'C');
      ByteBuffer bb = ByteBuffer.allocate(4 * c.labels().length + 4).order(ByteOrder.LITTLE_ENDIAN);
      bb.putInt(c.numClasses());
      for (int l : c.labels()) bb.putInt(l);
      md.update(bb.array());
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static void digest(MessageDigest md, double[] v) {
    ByteBuffer bb = ByteBuffer.allocate(8 * 4096).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < v.length; i++) {
      bb.putDouble(v[i]);
      if (!bb.hasRemaining()) {
        md.update(bb.array(), 0, bb.position());
        bb.clear();
      }
    }
    md.update(bb.array(), 0, bb.position());
  }

  private static void digest(MessageDigest md, float[] v) {
    ByteBuffer bb = ByteBuffer.allocate(4 * 4096).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < v.length; i++) {
      bb.putFloat(v[i]);
      if (!bb.hasRemaining()) {
        md.update(bb.array(), 0, bb.position());
        bb.clear();
      }
    }
    md.update(bb.array(), 0, bb.position());
  }

  private static MessageDigest sha() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** All stored snapshots as a map (loads every checkpoint file). */
  public Map<Integer, Snapshot> loadAll() {
    LinkedHashMap<Integer, Snapshot> m = new LinkedHashMap<>();
    for (int s : steps()) m.put(s, load(s));
    return m;
  }
}
