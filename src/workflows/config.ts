// Settings workflows read once per run (through a local activity, so they are recorded in history and replay
// identically) and carry across continue-as-new.
export interface WorkflowConfig {
  /** Task queue of the activities that call AURA; its rate limit is the global Panic API cap. */
  auraTaskQueue: string;
  pollIntervalMs: number;
  /** Continue-as-new once a run's history reaches this many events (or when Temporal suggests it). */
  continueAsNewEvents: number;
}
