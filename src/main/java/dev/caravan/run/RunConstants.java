package dev.caravan.run;

import org.apache.camel.spi.Metadata;

/** Headers of the exchange of a run, besides the event's and kjob's. */
public final class RunConstants {

  @Metadata(
      description = "Set by a pipeline: a summary of the run, stored with it when it ends.",
      javaType = "String")
  public static final String RUN_SUMMARY = "CaravanRunSummary";

  private RunConstants() {}
}
