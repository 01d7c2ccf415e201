// Pure rendering of the go-live run: the console table, the Markdown report, the JSON, the exit decision and the
// redaction of secrets. No I/O here (unit-tested in test/unit/go-live-report.test.ts).
import type { GoLiveJson, GoLiveReport, ItemResult, ItemStatus } from './types.js';

/**
 * Strict reading of the contract ("exit 0 only when every item passes"): `skipped` is not `pass`, so a run with a
 * skipped item exits non-zero. Items that do not apply (the CSV checks in rest mode) pass with "not applicable: …".
 */
export function allPassed(items: readonly Pick<ItemResult, 'status'>[]): boolean {
  return items.length > 0 && items.every((i) => i.status === 'pass');
}

export function exitCode(items: readonly Pick<ItemResult, 'status'>[]): number {
  return allPassed(items) ? 0 : 1;
}

export function countByStatus(items: readonly Pick<ItemResult, 'status'>[]): Record<ItemStatus, number> {
  const out: Record<ItemStatus, number> = { pass: 0, fail: 0, skipped: 0 };
  for (const i of items) out[i.status]++;
  return out;
}

/** Replace every occurrence of each secret (4 characters or more) by `[redacted]`. */
export function redact(text: string, secrets: readonly (string | undefined | null)[]): string {
  const list = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4))].sort(
    (a, b) => b.length - a.length,
  );
  let out = text;
  for (const s of list) out = out.split(s).join('[redacted]');
  return out;
}

const STATUS_WORD: Record<ItemStatus, string> = { pass: 'PASS', fail: 'FAIL', skipped: 'SKIPPED' };

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

function wrap(text: string, width: number): string[] {
  const words = oneLine(text).split(' ');
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** The console table: one row per item (number, status, title), what the kit saw wrapped beneath it. */
export function renderTable(items: readonly ItemResult[], width = 120): string {
  const titleWidth = Math.max(...items.map((i) => i.title.length), 4);
  const header = `${'#'.padEnd(3)} ${'STATUS'.padEnd(7)} ${'ITEM'.padEnd(titleWidth)}  WHAT IT SAW`;
  const detailWidth = Math.max(30, width - (3 + 1 + 7 + 1 + titleWidth + 2));
  const rows = [header, '-'.repeat(Math.min(width, header.length + detailWidth - 'WHAT IT SAW'.length))];
  items.forEach((item, n) => {
    const detail = wrap(item.detail, detailWidth);
    const lead = `${String(n + 1).padEnd(3)} ${STATUS_WORD[item.status].padEnd(7)} ${item.title.padEnd(titleWidth)}  `;
    rows.push(lead + detail[0]);
    for (const more of detail.slice(1)) rows.push(' '.repeat(lead.length) + more);
  });
  const c = countByStatus(items);
  rows.push('');
  rows.push(
    `${c.pass} passed, ${c.fail} failed, ${c.skipped} skipped: ${allPassed(items) ? 'ready to go live' : 'NOT ready (exit 1)'}`,
  );
  return rows.join('\n');
}

const mdCell = (s: string) => oneLine(s).replace(/\|/g, '\\|');
const mdCode = (s: string) => `\`${oneLine(s).replace(/`/g, "'")}\``;

export function renderMarkdown(report: GoLiveReport): string {
  const c = countByStatus(report.items);
  const out: string[] = [
    '# Go-live report',
    '',
    `- AURA: ${report.aura.baseUrl}${report.aura.simulator ? ' (the AURA simulator: it answers `/__sim`)' : ''}`,
    `- Service API: ${report.api}`,
    `- Started ${report.startedAt}, finished ${report.finishedAt}`,
    `- Result: **${report.ok ? 'every item passed' : 'NOT ready'}** (${c.pass} passed, ${c.fail} failed, ${c.skipped} skipped; exit ${report.ok ? 0 : 1})`,
    '',
    'A `skipped` item counts as not passed. An item that does not apply to this configuration passes with',
    '"not applicable: …" and says why.',
    '',
    '| # | item | status | what it saw |',
    '| --- | --- | --- | --- |',
  ];
  report.items.forEach((i, n) =>
    out.push(`| ${n + 1} | ${mdCell(i.title)} | ${STATUS_WORD[i.status]} | ${mdCell(i.detail)} |`),
  );
  report.items.forEach((i, n) => {
    out.push('', `## ${n + 1}. ${i.title}: ${STATUS_WORD[i.status]}`, '', oneLine(i.detail));
    if (i.steps?.length) {
      out.push('', '| step | request | answer | ok |', '| --- | --- | --- | --- |');
      for (const s of i.steps)
        out.push(`| ${mdCell(s.name)} | ${mdCode(s.request)} | ${mdCode(s.answer)} | ${s.ok ? 'yes' : '**no**'} |`);
    }
    if (i.markdown?.length) out.push('', ...i.markdown);
  });
  out.push('');
  return out.join('\n');
}

export function toJson(report: GoLiveReport, reportPath: string | null): GoLiveJson {
  return {
    items: report.items.map((i) => ({ name: i.name, status: i.status, detail: oneLine(i.detail) })),
    ok: report.ok,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    aura: report.aura,
    api: report.api,
    report: reportPath,
  };
}

/** A Markdown table from rows of cells (the first row is the header). */
export function markdownTable(rows: readonly (readonly string[])[]): string[] {
  const [head, ...body] = rows;
  if (!head) return [];
  return [
    `| ${head.map(mdCell).join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...body.map((r) => `| ${r.map(mdCell).join(' | ')} |`),
  ];
}
