package dev.caravan.api;

import org.apache.camel.ServiceStatus;

/**
 * The {@code status} of a pipeline in the API, upper case like a run's: its route's state in Camel,
 * or {@code REMOVED} for a subscription whose route is gone. A route created but never started
 * (Camel's {@code Initialized}) is {@code STOPPED}.
 */
enum PipelineState {
  STARTING,
  STARTED,
  STOPPING,
  STOPPED,
  SUSPENDING,
  SUSPENDED,
  REMOVED;

  static PipelineState of(ServiceStatus status) {
    return switch (status) {
      case Starting -> STARTING;
      case Started -> STARTED;
      case Stopping -> STOPPING;
      case Suspending -> SUSPENDING;
      case Suspended -> SUSPENDED;
      case Initializing, Initialized, Stopped -> STOPPED;
    };
  }
}
