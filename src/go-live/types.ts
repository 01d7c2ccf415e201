// The go-live kit's vocabulary: a checklist item's result, the steps it recorded, and the whole run's report.
// Pure types, shared by the items, the runner and the report writers.

export type ItemStatus = 'pass' | 'fail' | 'skipped';

/** One request the kit made (or had the service make) and what came back, as the report records it. */
export interface Step {
  name: string;
  /** e.g. `POST /v1/callouts {"incidentId":"go-live-…","test":true}` (never a secret: the writer redacts anyway). */
  request: string;
  /** e.g. `202 phase=requested status=created auraCalloutId=100001` */
  answer: string;
  ok: boolean;
}

export interface ItemResult {
  /** Stable, short: the JSON `name` (e.g. `credentials`). */
  name: string;
  /** The checklist's words, for the table and the report. */
  title: string;
  status: ItemStatus;
  /** What the kit saw, in one or a few sentences. */
  detail: string;
  /** Requests and answers, in order. */
  steps?: Step[];
  /** Extra Markdown (a table) for the report only. */
  markdown?: string[];
}

export interface GoLiveReport {
  startedAt: string;
  finishedAt: string;
  /** The AURA the kit talked to (AURA_BASE_URL) and whether it is the simulator. */
  aura: { baseUrl: string; simulator: boolean };
  api: string;
  items: ItemResult[];
  /** Exit code: 0 only when every item passed (skipped counts as not passed). */
  ok: boolean;
}

/** The contract's JSON shape (§6), plus context fields. */
export interface GoLiveJson {
  items: { name: string; status: ItemStatus; detail: string }[];
  ok: boolean;
  startedAt: string;
  finishedAt: string;
  aura: { baseUrl: string; simulator: boolean };
  api: string;
  report: string | null;
}
