package dev.caravan.run;

/**
 * The run layer was asked for its stores before the event component opened them: Caravan is still
 * starting (or already stopping).
 */
public class RunsNotOpenException extends IllegalStateException {

  RunsNotOpenException() {
    super("the run store is not open (the event component has not started)");
  }
}
