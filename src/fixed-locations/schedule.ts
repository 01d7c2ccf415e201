// The Temporal Schedule that runs the Fixed Location reconciliation every FIXED_LOCATION_SYNC_INTERVAL_MS (default
// 15 min), overlap skipped. Created or updated at worker start; an interval of 0 removes it.
import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { fixedLocationScheduleId, fixedLocationSyncWorkflowId } from '../workflows/fixed-location-messages.js';
import { scheduledFixedLocationSyncWorkflow } from '../workflows/fixed-location-sync.js';

export async function ensureFixedLocationSchedule(
  client: Client,
  opts: { taskQueue: string; intervalMs: number },
): Promise<string | null> {
  const scheduleId = fixedLocationScheduleId(opts.taskQueue);
  const handle = client.schedule.getHandle(scheduleId);
  if (opts.intervalMs <= 0) {
    await handle.delete().catch(() => undefined);
    return null;
  }
  const syncWorkflowId = fixedLocationSyncWorkflowId(opts.taskQueue);
  const spec = { intervals: [{ every: opts.intervalMs }] };
  const action = {
    type: 'startWorkflow' as const,
    workflowType: scheduledFixedLocationSyncWorkflow,
    workflowId: `${syncWorkflowId}-tick`,
    taskQueue: opts.taskQueue,
    args: [{ syncWorkflowId }] as [{ syncWorkflowId: string }],
  };
  try {
    // The first reconciliation runs at once (a fresh deployment has no index yet), then every interval.
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
      state: { triggerImmediately: true },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await handle.update((prev) => ({
      ...prev,
      spec,
      action,
      policies: { ...prev.policies, overlap: ScheduleOverlapPolicy.SKIP },
    }));
  }
  return scheduleId;
}
