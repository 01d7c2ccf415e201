// The workflow bundle's entry: only workflow-safe modules may be imported from here.
export { incidentWorkflow } from './incident.js';
export { calloutLifecycleWorkflow } from './callout-lifecycle.js';
export { onboardingWorkflow, auraLinkWorkflow } from './onboarding.js';
export { fixedLocationSyncWorkflow, scheduledFixedLocationSyncWorkflow } from './fixed-location-sync.js';
