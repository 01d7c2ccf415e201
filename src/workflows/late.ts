// A value that exists only after a workflow's first await (its config comes from a local activity), for handlers
// that must be registered before it: an update delivered in a run's first activation is rejected when that
// activation ends if no handler is registered by then. Handlers read it at once when set, else wait for it.
import { condition } from '@temporalio/workflow';

export function lateBound<T>(): {
  set(value: T): void;
  get(): Promise<T>;
  /** Now, for validators (which cannot wait). */ peek(): T | undefined;
} {
  let value: T | undefined;
  return {
    set: (v) => void (value = v),
    peek: () => value,
    get: async () => {
      if (value === undefined) await condition(() => value !== undefined);
      return value!;
    },
  };
}
