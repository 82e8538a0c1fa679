package dev.caravan.kjob;

/** Hears what an executor learns while a step runs. */
public interface StepListener {

  /** The local process started (it leads its own process group). */
  void started(StepRequest request, long pid);

  /** The output so far, at most once a second while the step runs. */
  void output(StepRequest request, String outputSoFar);

  StepListener NONE =
      new StepListener() {
        @Override
        public void started(StepRequest request, long pid) {}

        @Override
        public void output(StepRequest request, String outputSoFar) {}
      };
}
