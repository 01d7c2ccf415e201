// Task priorities on the capped Panic API queue (`<queue>-aura-api`, whose server-side rate limit is the Panic API
// cap): 1 is dispatched first, 5 last, 3 is Temporal's default. With thousands of callouts polling at the cap, a FIFO
// queue would make a new emergency's create wait behind hundreds of polls; by priority it waits for none of them.
// Needs the server's priority-enabled matcher (`matching.useNewMatcher`, off by default in server 1.29): the dev
// servers this project starts and compose's dynamic config turn it on. A server without it ignores the keys (FIFO).
export const PRIORITY = {
  /** Creating the callout (customer or Fixed Location): what the person in danger waits for. */
  create: 1,
  /** What a person asked for on a live callout: cancellation, notes, rating, exception reasons. */
  person: 2,
  /** Reading the callout (polls, positions with "return callout", the event stream): the ledger, but it can wait. */
  poll: 4,
} as const;
