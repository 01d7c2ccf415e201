// Alarm dispatch's activity: the callout at a Fixed Location, created by its external reference.
import type { AuraClient } from '../../aura/client.js';
import { observationFromCreate } from '../../aura/mapping.js';
import type { CalloutCreated } from '../../aura/schemas.js';
import {
  KeyedSerializer,
  lookUpBeforeGivingUp,
  lookupFailed,
  runCreateAttempt,
  SharedListing,
} from '../create-attempt.js';
import { toFailure } from '../aura-call.js';
import type { CreateCalloutActivityResult } from '../callouts.js';

export function createAlarmCalloutActivities(deps: { aura: AuraClient }) {
  const { aura } = deps;
  // Alarm dispatch looks, then creates: one location at a time in this worker, so two alarms cannot both miss.
  const perLocation = new KeyedSerializer();
  // Alarms at once on different locations share one listing of AURA's active callouts (each still one sent after it
  // asked, so it sees every create that ended before): under 50 alarms/s, one listing per round trip.
  const activeCallouts = new SharedListing(() => aura.listActiveCallouts({ retries: 0 }));

  return {
    /**
     * Alarm dispatch: create the Fixed Location callout by external reference, in one bounded, cancellable attempt
     * (./create-attempt.ts). AURA documents no dedupe for Fixed Location callouts, so every attempt first looks for
     * an active callout on the location: an alarm on premises that already have one joins it (one callout per
     * location), and a retry finds the callout an earlier attempt made and lost the answer to. Without an answer
     * from that lookup only a first attempt creates (nothing of this alarm's can exist yet); a retry waits for the
     * lookup rather than risk a second callout. A create that went wrong is looked up before the attempt gives up.
     */
    async createFixedLocationCallout(input: {
      incidentId: string;
      externalReferenceId: string;
      fixedLocationId?: number | undefined;
      responseTypeId: number;
      test?: boolean | undefined;
    }): Promise<CreateCalloutActivityResult> {
      try {
        return await runCreateAttempt(aura.callBoundMs, (a) =>
          perLocation.run(input.externalReferenceId, a.signal, async () => {
            const lookup = async (signal: AbortSignal): Promise<CalloutCreated | null> => {
              // Nothing to match by (the alarm route always gives it).
              if (input.fixedLocationId === undefined) return null;
              try {
                return (
                  (await activeCallouts.get(signal)).find((c) => c.predefinedLocationId === input.fixedLocationId) ??
                  null
                );
              } catch (err) {
                throw lookupFailed(err, `the active callouts of Fixed Location ${input.fixedLocationId}`);
              }
            };
            const joined = (c: CalloutCreated): CreateCalloutActivityResult => ({
              auraCalloutId: c.id,
              existing: true,
              observation: observationFromCreate(c),
            });
            try {
              const match = await lookup(a.signal);
              if (match) return joined(match);
            } catch (err) {
              if (a.signal.aborted || a.number > 1) throw err;
            }
            try {
              const { callout, existing } = await aura.createFixedLocationCallout(
                input.externalReferenceId,
                { responseTypeId: input.responseTypeId, ...(input.test ? { internalTest: true } : {}) },
                { signal: a.signal },
              );
              return { auraCalloutId: callout.id, existing, observation: observationFromCreate(callout) };
            } catch (err) {
              return lookUpBeforeGivingUp(a, err, lookup, joined);
            }
          }),
        );
      } catch (err) {
        throw toFailure(err);
      }
    },
  };
}
