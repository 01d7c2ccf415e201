// The operator context of a monitoring-platform alarm at a Fixed Location, written as the callout's first event.
// Pure.
import type { PlatformLocation } from './fixed-locations.js';

export interface AlarmContext {
  alarmId: string;
  incidentId: string;
  alarmType: string;
  zone?: string | undefined;
  notes?: string | undefined;
  test?: boolean | undefined;
  /** The platform's own reference numbers (account, event, dispatch number, …). */
  references?: Record<string, string> | undefined;
  location: PlatformLocation;
}

/** The operator context written as the callout's first event: what a controller needs to act, in one message. */
export function alarmContextMessage(c: AlarmContext): string {
  const l = c.location;
  const lines = [
    `${c.test ? '[TEST] ' : ''}Alarm: ${c.alarmType}${c.zone ? ` · zone ${c.zone}` : ''}`,
    `Premises: ${l.name}, ${l.address}`,
    `References: alarm ${c.alarmId} · platform location ${l.platformLocationId} · incident ${c.incidentId}` +
      Object.entries(c.references ?? {})
        .map(([k, v]) => ` · ${k} ${v}`)
        .join(''),
  ];
  if (l.contactNotes) lines.push(`Contact notes: ${l.contactNotes}`);
  if (l.gateInstructions) lines.push(`Gate instructions: ${l.gateInstructions}`);
  if (c.notes) lines.push(`Operator notes: ${c.notes}`);
  if (c.test) lines.push('This is a staging/test incident.');
  return lines.join('\n');
}
