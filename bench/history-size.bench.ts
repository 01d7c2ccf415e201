// Work per callout, from the recorded histories of each release (test/fixtures/histories/<release>): history events
// and workflow tasks of the incident and of the lifecycle, per scenario, and their sum. The goal of the speed issue:
// at most 100 events end to end webhook-driven and 150 poll-only. Reads files only; asserts nothing.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/temporal/dev-server.js';

const root = join(PROJECT_ROOT, 'test', 'fixtures', 'histories');
const GOALS: Record<string, number> = { 'webhook-driven': 100, 'poll-only': 150 };

for (const release of readdirSync(root)
  .filter((d) => statSync(join(root, d)).isDirectory())
  .sort()) {
  const dir = join(root, release);
  const rows = new Map<string, { events: number; tasks: number; parts: string[] }>();
  for (const f of readdirSync(dir).filter(
    (x) => /-\d+-last\.json$/.test(x) && !x.startsWith('continued-as-new') && !x.startsWith('onboarding'),
  )) {
    const scenario = f.replace(/-\d+-last\.json$/, '');
    const { workflowId, history } = JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
      workflowId: string;
      history: { events: { eventType: string }[] };
    };
    const events = history.events.length;
    const tasks = history.events.filter((e) =>
      /WORKFLOW_TASK_COMPLETED|WorkflowTaskCompleted/.test(String(e.eventType)),
    ).length;
    const row = rows.get(scenario) ?? { events: 0, tasks: 0, parts: [] };
    row.events += events;
    row.tasks += tasks;
    row.parts.push(`${workflowId.startsWith('incident-') ? 'incident' : 'lifecycle'} ${events}`);
    rows.set(scenario, row);
  }
  console.log(`\nrelease ${release}: history events per callout, end to end (incident + lifecycle)`);
  for (const [scenario, r] of [...rows].sort()) {
    const goal = GOALS[scenario];
    console.log(
      `  ${scenario.padEnd(16)} ${String(r.events).padStart(4)} events (${r.parts.join(' + ')}), ${r.tasks} workflow tasks${goal ? `; goal ≤ ${goal}: ${(r.events / goal).toFixed(2)} ×` : ''}`,
    );
  }
}
