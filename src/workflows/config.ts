// Settings workflows read once per run (through a local activity, so they are recorded in history and replay
// identically) and carry across continue-as-new.
export interface WorkflowConfig {
  /** Task queue of the activities that call AURA; its rate limit is the global Panic API cap. */
  auraTaskQueue: string;
  /** Poll interval while webhooks are silent (and the fastest rate at which locations are sent). */
  pollIntervalMs: number;
  /** Poll interval while webhooks are flowing (they reported the latest transition before a poll did). */
  pollIntervalSlowMs: number;
  /** Read AURA's event stream every this many polls (and whenever CALLOUT_EVENTS_CHANGED arrives). */
  eventsEveryPolls: number;
  /** Continue-as-new once a run's history reaches this many events (or when Temporal suggests it). */
  continueAsNewEvents: number;
  /** How long the rating stays open after closed. */
  ratingWindowMs: number;
  rateCancelled: boolean;
  rateTest: boolean;
  /** Write-back to the platform is configured (PLATFORM_EVENTS_URL). */
  platformEvents: boolean;
  /**
   * An incident that has heard nothing from its lifecycle for this long checks that one still follows the callout
   * (and starts it again if it was terminated or failed). Absent in v1 carries: 5 minutes.
   */
  lifecycleLivenessMs?: number;
  /**
   * Start-to-close of the create activities: above one attempt's worst case, derived from the Panic API client's
   * numbers (src/activities/create-attempt.ts). Absent in runs recorded before it existed.
   */
  auraCreateAttemptTimeoutMs?: number;
}
