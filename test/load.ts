/**
 * Load for drain tests: concurrent loops of one call, counted, until stopped.
 *
 * Each loop yields to the event loop between calls, stops at the first call on a
 * closed client, and stops when `signal` (the test's `t.signal`) aborts. A call
 * on a closed grpc-js client rejects at once, without I/O: a loop that kept
 * calling would spin on microtasks, starve every timer (the test's timeout
 * included) and hold its test file at 100 % CPU.
 */
import { setImmediate } from 'node:timers/promises';

/** A running load. */
export interface Load {
  /** Calls that succeeded so far. */
  readonly ok: number;
  /** The messages of the calls that failed. */
  readonly failures: string[];
  /** Stops the loops and waits for the calls in flight: call it before closing the client. */
  stop(): Promise<void>;
}

/** Starts `concurrency` loops calling `call`; `onResult` sees each success. */
export function startLoad<T>(
  concurrency: number,
  call: () => Promise<T>,
  options: { signal?: AbortSignal; onResult?: (value: T) => void } = {},
): Load {
  let running = true;
  let ok = 0;
  const failures: string[] = [];
  const loop = async (): Promise<void> => {
    while (running && !options.signal?.aborted) {
      try {
        const value = await call();
        ok += 1;
        options.onResult?.(value);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        failures.push(message);
        if (message.includes('Channel has been shut down')) return;
      }
      await setImmediate();
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    get ok() {
      return ok;
    },
    failures,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}
