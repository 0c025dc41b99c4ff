package dev.unroll.optim.train;

import static dev.unroll.optim.train.TrainerTest.assertBitEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.autodiff.io.CorruptFileException;
import dev.unroll.nn.Activation;
import dev.unroll.nn.data.Dataset;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordingTest {
  private static final RunConfig CONFIG = Toy.twoStage(21);
  private static final DataSource DATA = Toy.twoStageData();

  /** Thrown from a step hook to simulate a crash. */
  private static final class Crash extends RuntimeException {}

  @Test
  void replayFromCheckpointsReproducesEveryStepBitForBit() {
    TrainResult all = Trainer.train(CONFIG, DATA, TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    TrainResult ck = Trainer.train(CONFIG, DATA, TrainOptions.inMemory().keep(Keep.CHECKPOINTS));
    assertArrayEquals(new int[] {0, 3, 6, 9, 12, 15, 18}, ck.snapshots().keySet().stream().mapToInt(Integer::intValue).toArray());
    int t = all.record().totalSteps();
    // Backward sweep (the unrolling pattern), forward sweep, and a backward sweep with a cache of 2 states (extra anchors).
    Replayer back = (Replayer) ck.trajectory();
    for (int k = t; k >= 0; k--) assertSame(all.snapshots().get(k), back.at(k));
    Trajectory fwd = ck.trajectory();
    for (int k = 0; k <= t; k++) assertSame(all.snapshots().get(k), fwd.at(k));
    Replayer tiny = new Replayer(ck.record(), ck.stageData(), SnapshotStore.of(ck.snapshots()), 1);
    for (int k = t; k >= 0; k--) assertSame(all.snapshots().get(k), tiny.at(k));
    // A backward sweep replays each step about once (the windows), never quadratically often.
    assertTrue(back.stepsReplayed() <= t, "replayed " + back.stepsReplayed());
    back.verify();
  }

  private static void assertSame(Snapshot want, Snapshot got) {
    assertTrue(want.bitEquals(got), () -> "step " + want.step() + ": " + want.difference(got));
  }

  @Test
  void recordedRunIsSelfDescribing(@TempDir Path dir) throws Exception {
    TrainResult r = Trainer.train(CONFIG, DATA, TrainOptions.recorded(dir));
    RunDirectory d = RunDirectory.open(dir);
    assertEquals("complete", d.status());
    assertEquals(CONFIG, d.config());
    assertArrayEquals(new int[] {0, 3, 6, 9, 12, 15, 18}, d.steps());
    assertEquals(r.record().segments(), d.segments());
    RunRecord rec = d.record();
    for (int k = 0; k < 18; k++) {
      assertArrayEquals(r.record().batch(k), rec.batch(k));
      assertEquals(r.record().lr(k), rec.lr(k));
      assertEquals(r.record().loss(k), rec.loss(k));
    }
    for (int s : d.steps()) assertSame(r.snapshots().get(s), d.load(s));
    String manifest = Files.readString(dir.resolve("manifest.json"));
    assertTrue(manifest.contains("\"segments\"") && manifest.contains("\"sha256\""), manifest);
    // Any step is replayed from the disk checkpoints exactly.
    TrainResult all = Trainer.train(CONFIG, DATA, TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    Trajectory t = d.trajectory(DATA);
    for (int k = 18; k >= 0; k--) assertSame(all.snapshots().get(k), t.at(k));
  }

  @Test
  void crashedRunResumesToABitIdenticalEnd(@TempDir Path tmp) {
    TrainResult straight = Trainer.train(CONFIG, DATA, TrainOptions.recorded(tmp.resolve("straight")));
    Path dir = tmp.resolve("crashed");
    TrainOptions o = TrainOptions.recorded(dir).hook((step, loss, model) -> {
      if (step == 10) throw new Crash();
    });
    assertThrows(Crash.class, () -> Trainer.train(CONFIG, DATA, o));
    // Steps 0..10 ran; the last checkpoint is θ_9.
    assertEquals(9, RunDirectory.open(dir).stepsCompleted());
    assertEquals("running", RunDirectory.open(dir).status());
    TrainResult resumed = Trainer.train(CONFIG, DATA, TrainOptions.recorded(dir).resume(true));
    assertBitEqual(straight.finalParameters(), resumed.finalParameters());
    assertArrayEquals(straight.record().losses(), resumed.record().losses());
    RunDirectory a = RunDirectory.open(tmp.resolve("straight")), b = RunDirectory.open(dir);
    assertEquals("complete", b.status());
    for (int s : a.steps()) assertSame(a.load(s), b.load(s));
    assertArrayEquals(a.record().losses(), b.record().losses());
  }

  @Test
  void stoppedRunResumesAcrossTheStageBoundary(@TempDir Path tmp) {
    TrainResult straight = Trainer.train(CONFIG, DATA, TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    Path dir = tmp.resolve("run");
    TrainResult part = Trainer.train(CONFIG, DATA, TrainOptions.recorded(dir).stopAfter(13));
    assertFalse(part.isComplete());
    assertEquals(13, part.record().stepsCompleted());
    assertEquals(12, RunDirectory.open(dir).stepsCompleted());
    // Resuming with every step kept refills the steps before the checkpoint by replay.
    TrainResult resumed = Trainer.train(CONFIG, DATA, TrainOptions.recorded(dir).resume(true).keep(Keep.ALL_STEPS));
    for (int k = 0; k <= 18; k++) assertSame(straight.snapshots().get(k), resumed.snapshots().get(k));
    // Resuming a finished run changes nothing.
    TrainResult again = Trainer.train(CONFIG, DATA, TrainOptions.recorded(dir).resume(true));
    assertBitEqual(straight.finalParameters(), again.finalParameters());
  }

  @Test
  void directoryMisuseIsRefused(@TempDir Path dir) {
    Trainer.train(CONFIG, DATA, TrainOptions.recorded(dir).stopAfter(4));
    IllegalStateException exists = assertThrows(IllegalStateException.class, () -> Trainer.train(CONFIG, DATA, TrainOptions.recorded(dir)));
    assertTrue(exists.getMessage().contains("already holds a recorded run"), exists.getMessage());
    IllegalStateException other = assertThrows(IllegalStateException.class, () -> Trainer.train(CONFIG.withSeed(22), DATA, TrainOptions.recorded(dir).resume(true)));
    assertTrue(other.getMessage().contains("another configuration"), other.getMessage());
    Dataset changed = Toy.regression("a", 18, 3, 99);
    DataSource otherData = DataSource.of(changed, Toy.regression("b", 10, 3, 12));
    IllegalArgumentException data = assertThrows(IllegalArgumentException.class, () -> RunDirectory.open(dir).trajectory(otherData));
    assertTrue(data.getMessage().startsWith("stage 0 data 'a' (18 examples, SHA-256 "), data.getMessage());
  }

  @Test
  void divergedRunIsMarkedInItsManifest(@TempDir Path dir) {
    Dataset d = Toy.regression("d", 16, 3, 4);
    RunConfig c = RunConfig.of(ModelSpec.mlp(Activation.RELU, 3, 16, 1), "mse", DType.F64, 2,
        StageSpec.of("s", DataSpec.all("d"), OptimizerSpec.sgd(0.9, 0, false), LrSchedule.constant(50), 4, 50));
    DivergenceException e = assertThrows(DivergenceException.class, () -> Trainer.train(c, DataSource.of(d), TrainOptions.recorded(dir)));
    RunDirectory r = RunDirectory.open(dir);
    assertEquals("diverged", r.status());
    assertEquals(e.getMessage(), r.message());
    IllegalStateException again = assertThrows(IllegalStateException.class, () -> Trainer.train(c, DataSource.of(d), TrainOptions.recorded(dir).resume(true)));
    assertTrue(again.getMessage().contains("diverged"), again.getMessage());
  }

  @Test
  void damagedFilesAreDetectedAndNamed(@TempDir Path dir) throws Exception {
    Trainer.train(CONFIG, DATA, TrainOptions.recorded(dir));
    Path ck = dir.resolve("checkpoints/step-00000009.safetensors");
    byte[] bytes = Files.readAllBytes(ck);
    // One flipped bit in the data.
    byte[] flipped = bytes.clone();
    flipped[flipped.length - 3] ^= 1;
    Files.write(ck, flipped);
    CorruptFileException e = assertThrows(CorruptFileException.class, () -> RunDirectory.open(dir).load(9));
    assertTrue(e.getMessage().contains("step-00000009.safetensors") && e.getMessage().contains("SHA-256"), e.getMessage());
    // Truncated.
    Files.write(ck, java.util.Arrays.copyOf(bytes, bytes.length - 16));
    e = assertThrows(CorruptFileException.class, () -> RunDirectory.open(dir).load(9));
    assertTrue(e.getMessage().contains("step-00000009.safetensors") && e.getMessage().contains("truncated"), e.getMessage());
    // Missing.
    Files.delete(ck);
    e = assertThrows(CorruptFileException.class, () -> RunDirectory.open(dir).load(9));
    assertTrue(e.getMessage().contains("step-00000009.safetensors") && e.getMessage().contains("missing"), e.getMessage());
    // The steps file.
    Path steps = dir.resolve("steps-00000018.safetensors");
    Files.write(steps, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
    e = assertThrows(CorruptFileException.class, () -> RunDirectory.open(dir).record());
    assertTrue(e.getMessage().contains("steps-00000018.safetensors"), e.getMessage());
    // The manifest.
    Files.writeString(dir.resolve("manifest.json"), "{\"format\": \"unroll-run/1\", \"checkpoints\": [");
    e = assertThrows(CorruptFileException.class, () -> RunDirectory.open(dir));
    assertTrue(e.getMessage().contains("manifest.json"), e.getMessage());
  }

  @Test
  void snapshotsInMemoryAreNotAliasedWithTheModel() {
    TrainResult r = Trainer.train(CONFIG, DATA, TrainOptions.inMemory().keep(Keep.ALL_STEPS));
    Map<String, dev.unroll.autodiff.Tensor> last = r.snapshots().get(18).parameters();
    assertBitEqual(last, r.finalParameters());
    assertFalse(r.snapshots().get(17).bitEquals(r.snapshots().get(18)));
  }
}
