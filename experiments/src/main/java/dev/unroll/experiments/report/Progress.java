package dev.unroll.experiments.report;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** A terminal progress bar with rate and time left, for retraining and scoring loops. */
public final class Progress implements AutoCloseable {
  private final ProgressBar bar;

  public Progress(String task, long total, String unit) {
    bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII).setUnit(" " + unit, 1).showSpeed().continuousUpdate().setUpdateIntervalMillis(500).build();
  }

  /** Counts already done (a resumed job starts where it stopped). */
  public void stepTo(long done) {
    bar.stepTo(done);
  }

  public synchronized void step() {
    bar.step();
  }

  @Override
  public void close() {
    bar.close();
  }
}
