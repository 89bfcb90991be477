import { type Io, processIo } from './command.js';

/**
 * Long work stops cleanly on Ctrl-C: the first one aborts `signal` (the job finishes what is in flight; a re-run
 * resumes) and says so on `io.err`, a second one quits at once. `dispose()` removes the handler.
 */
export function interruptSignal(io: Io, what: string): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    io.err(`\nstopping: finishing the ${what} in flight (Ctrl-C again to quit now; a re-run resumes)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => void process.off('SIGINT', onSigint) };
}

/** `fn` under `interruptSignal` (for faces that call their job directly). */
export async function withInterrupt<T>(what: string, fn: (signal: AbortSignal) => Promise<T>, io: Io = processIo): Promise<T> {
  const { signal, dispose } = interruptSignal(io, what);
  try {
    return await fn(signal);
  } finally {
    dispose();
  }
}
