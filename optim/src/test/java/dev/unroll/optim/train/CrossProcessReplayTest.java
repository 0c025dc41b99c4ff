package dev.unroll.optim.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.unroll.autodiff.DType;
import dev.unroll.nn.Activation;
import dev.unroll.optim.LrSchedule;
import dev.unroll.optim.OptimizerSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs recorded in a fresh JVM (cold, interpreted and partly compiled code) must replay bit for bit
 * in this one (warm): kernels whose results depend on JIT state would break resume and replay.
 */
class CrossProcessReplayTest {
  /**
   * The runs the child process records: the two-stage float64 run, and 150-step runs in float32 and
   * float64 with a 1-wide output layer (whose matrix products take the GEMM's dot-product path).
   */
  static List<RunConfig> configs() {
    StageSpec s = StageSpec.of("s", DataSpec.all("a"), OptimizerSpec.sgd(0.9, 1e-4, false), LrSchedule.warmup(5, LrSchedule.cosine(0.05, 0)), 4, 30);
    ModelSpec m = ModelSpec.mlp(Activation.RELU, 3, 16, 1);
    return List.of(Toy.twoStage(31), RunConfig.of(m, "mse", DType.F32, 7, s), RunConfig.of(m, "mse", DType.F64, 7, s));
  }

  /** Child process entry: records configs() under args[0]/run-i. */
  public static void main(String[] args) {
    List<RunConfig> cs = configs();
    for (int i = 0; i < cs.size(); i++) Trainer.train(cs.get(i), Toy.twoStageData(), TrainOptions.recorded(Path.of(args[0], "run-" + i)));
  }

  @Test
  void runsRecordedInAFreshJvmReplayExactlyHere(@TempDir Path dir) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.add("--add-modules=jdk.incubator.vector");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(CrossProcessReplayTest.class.getName());
    cmd.add(dir.toString());
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child process timed out");
    assertEquals(0, p.exitValue(), out);
    List<RunConfig> cs = configs();
    // Warm this JVM up first, so that here the kernels run JIT-compiled while the child ran them cold.
    for (int rep = 0; rep < 4; rep++) for (RunConfig c : cs) Trainer.train(c, Toy.twoStageData(), TrainOptions.inMemory());
    for (int i = 0; i < cs.size(); i++) {
      RunDirectory d = RunDirectory.open(dir.resolve("run-" + i));
      assertEquals("complete", d.status());
      ((Replayer) d.trajectory(Toy.twoStageData())).verify();
      TrainResult here = Trainer.train(cs.get(i), Toy.twoStageData(), TrainOptions.inMemory());
      TrainerTest.assertBitEqual(d.load(d.lastCheckpoint()).parameters(), here.finalParameters());
    }
  }
}
