package dev.caravan.kjob;

/** Hears what an executor learns while a step runs. */
public interface StepListener {

  /**
   * What the step printed since the previous call, at most once a second while it runs: the head of
   * its output (see {@link StepOutput#takeNew()}); the rest arrives with the step's result.
   */
  void output(StepRequest request, String newOutput);

  StepListener NONE =
      new StepListener() {
        @Override
        public void output(StepRequest request, String newOutput) {}
      };
}
