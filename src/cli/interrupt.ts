/** SIGINT/SIGTERM for a command: the first one cancels its work, a second one ends the process at once. */

/**
 * An AbortSignal that fires on the first SIGINT or SIGTERM, saying so on stderr as
 * grpc-health-probe does; a second signal exits at once with 128 + its number.
 */
export function abortOnInterrupt(log: (line: string) => void): AbortSignal {
  const controller = new AbortController();
  const onSignal = (name: 'SIGINT' | 'SIGTERM') => {
    // node:os only now: not loaded by every probe.
    if (controller.signal.aborted) process.exit(128 + process.getBuiltinModule('node:os').constants.signals[name]);
    log(`cancellation received (signal: ${name === 'SIGINT' ? 'interrupt' : 'terminated'})`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return controller.signal;
}
