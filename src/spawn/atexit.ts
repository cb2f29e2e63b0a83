// Python's exit rule for children: non-daemonic ones are joined before the parent exits (each
// start method does that join in its own 'exit' listener). An uncaught error of the parent is
// printed first, as Python prints its traceback before joining: Node prints it only after the
// 'exit' listeners, which may wait a long time for the children. So, while such children live
// and the program has no handler of its own, the error is printed here and the exit begins.
import { writeSync } from 'node:fs';

let running = 0;

function printThenExit(err: unknown, origin: string): void {
  // (This listener is the only one: a program with its own handler decides for itself.)
  if (process.listenerCount('uncaughtException') > 1) return;
  const text = err instanceof Error ? (err.stack ?? String(err)) : String(err);
  try {
    writeSync(2, `${origin === 'unhandledRejection' ? 'Unhandled rejection: ' : 'Uncaught '}${text}\n`);
  } catch {
    /* stderr closed */
  }
  process.exit(1);
}

/** A non-daemonic child started: returns what to call once it has ended. */
export function nonDaemonicChild(): () => void {
  if (running++ === 0) process.on('uncaughtException', printThenExit);
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    if (--running === 0) process.off('uncaughtException', printThenExit);
  };
}
