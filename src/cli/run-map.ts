// `multiprocessing-ts map`: the lines of the input go to the pool in chunks, and the results
// come back as JSON lines in input order (or as they complete). Two loops share the work: the
// reader forms chunks and submits them while there is room, the writer writes what is done.
// Memory is bounded whatever the input's size: a bounded number of chunks is in flight, and
// in order mode the writer's backlog behind a slow chunk is bounded too.
//
// Each chunk is one pool task (runChunk in task.ts) submitted with pool.apply rather than
// through pool.imap, for two reasons: a chunk's failure (a timeout, a worker that died) must
// be tied to its own lines, which imapUnordered's errors do not say; and a per-task timeout
// must count from when a worker can start the task, so with --timeout no more chunks are
// submitted than there are workers (imap submits many ahead, and their clocks would run while
// they wait in the queue).
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Writable } from 'node:stream';
import { TimeoutError, WorkerLostError } from '../errors.js';
import { esmDir } from '../util/here.js';
import { openPool, type BackendOptions } from './backend.js';
import { CliError } from './errors.js';
import { countLines, numberedLines } from './lines.js';
import { Progress } from './progress.js';
import { Wakeup } from './signal.js';
import { type ChunkResult, type LineError, type TaskSpec } from './task.js';

export type OnError = 'fail' | 'skip' | 'record';

export interface MapOptions extends BackendOptions {
  task: TaskSpec;
  /** a file path, or null for stdin */
  input: string | null;
  /** a file path, or null for stdout */
  output: string | null;
  /** lines a task gets at once; 'auto': sized from the measured time per line */
  chunksize: number | 'auto';
  unordered: boolean;
  onError: OnError;
  /** ms per task */
  timeout?: number;
  progress: boolean;
}

type Lines = [number, string][];
type Done = { lines: Lines; ok: true; result: ChunkResult } | { lines: Lines; ok: false; error: unknown };

/** Chunks in flight per worker without --timeout, and chunks done ahead of the one to write next. */
const AHEAD_PER_WORKER = 16, BACKLOG_PER_WORKER = 64;
/**
 * --chunksize auto: a chunk gets about this many ms of work (one line per task costs ~40 µs
 * of pool overhead: quick tasks in chunks of one ran at 24k lines/s, in chunks of 100 at
 * 300k/s), up to this many lines (a bound on what a chunk holds in memory).
 */
const AUTO_CHUNK_MS = 10, AUTO_CHUNK_MAX = 1024;

const taskRef = (name = 'runChunk') => ({ module: pathToFileURL(join(esmDir, 'cli', 'task.js')).href, name });

export async function runMap(o: MapOptions): Promise<void> {
  if (o.input !== null) {
    let file = false;
    try {
      file = statSync(o.input).isFile();
    } catch (e) {
      throw new CliError(`cannot read the input ${o.input}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, 2);
    }
    if (!file) throw new CliError(`the input ${o.input} is not a file`, 2);
  }
  const out: Writable = o.output === null ? process.stdout : createWriteStream(o.output);
  if (o.output !== null) await once(out, 'open').catch((e) => Promise.reject(new CliError(`cannot write the output ${o.output}: ${(e as Error).message}`, 2)));
  let outputError: Error | null = null;
  out.on('error', (e) => (outputError ??= e));

  const progress = new Progress({ bar: o.progress && process.stderr.isTTY === true, onError: o.onError });
  // Results printed to the terminal the bar is drawn on go above the bar.
  const aboveBar = progress.drawsBar && o.output === null && process.stdout.isTTY === true;
  const pool = await openPool(o);
  const workers = o.processes ?? availableParallelism();
  const maxRunning = o.timeout !== undefined ? workers : workers * AHEAD_PER_WORKER;
  const maxBacklog = workers * BACKLOG_PER_WORKER;
  // A task's time limit counts from its submission: with --timeout, the workers are first
  // started (a process worker takes ~100 ms to boot, seconds on a loaded machine).
  if (o.timeout !== undefined) await Promise.all(Array.from({ length: workers }, () => pool.apply(taskRef('ready'))));
  await progress.start();
  if (o.input !== null && progress.drawsBar) void countLines(o.input).then((n) => progress.setTotal(n), () => {});
  const input = o.input === null ? process.stdin : createReadStream(o.input);
  if (o.input === null && process.stdin.isTTY) process.stderr.write('multiprocessing-ts map: reading JSON lines from the terminal (end with Ctrl-D)\n');

  const counts = { done: 0, failed: 0 };
  const finished = new Map<number, Done>();
  let submitted = 0, nextToWrite = 0, running = 0, exhausted = false;
  let stopped: CliError | null = null;
  const toWriter = new Wakeup(), toReader = new Wakeup();

  // Time per line measured in the workers (an average of the chunks done so far).
  let msPerLine = 0;
  const nextChunkSize = () => (o.chunksize !== 'auto' ? o.chunksize : msPerLine === 0 ? 1 : Math.max(1, Math.min(AUTO_CHUNK_MAX, Math.round(AUTO_CHUNK_MS / msPerLine))));
  const reader = async () => {
    const source = numberedLines(input)[Symbol.asyncIterator]();
    while (!stopped) {
      if (running >= maxRunning || (!o.unordered && submitted - nextToWrite >= maxBacklog)) {
        await toReader.wait();
        continue;
      }
      const lines: Lines = [];
      const size = nextChunkSize();
      while (lines.length < size) {
        const r = await source.next();
        if (r.done) break;
        lines.push(r.value);
      }
      if (!lines.length || stopped) break;
      const no = submitted++;
      running++;
      const timeout = o.timeout === undefined ? undefined : o.timeout * lines.length;
      pool.apply<ChunkResult>(taskRef(), [o.task, lines], { timeout }).then(
        (result) => finish(no, { lines, ok: true, result }),
        (error: unknown) => finish(no, { lines, ok: false, error }),
      );
    }
    exhausted = true;
    input.destroy();
    toWriter.notify();
  };
  const finish = (no: number, done: Done) => {
    running--;
    if (done.ok && 'ms' in done.result) {
      const per = done.result.ms / done.lines.length;
      msPerLine = msPerLine === 0 ? per : 0.8 * msPerLine + 0.2 * per;
    }
    finished.set(no, done);
    toWriter.notify();
    toReader.notify();
  };

  const write = async (text: string) => {
    if (outputError) throw outputError;
    if (aboveBar) progress.log(text);
    else if (!out.write(text)) await Promise.race([once(out, 'drain'), once(out, 'error')]);
  };
  const handle = async (done: Done) => {
    let text = '';
    if (done.ok && 'fatal' in done.result) throw new CliError(done.result.fatal, 2);
    const results = done.ok ? (done.result as Exclude<ChunkResult, { fatal: string }>).results : done.lines.map(([line]) => ({ error: chunkError(done.error, line, done.lines, o.timeout) }));
    for (const r of results) {
      counts.done++;
      if (typeof r === 'string') {
        text += r + '\n';
        continue;
      }
      counts.failed++;
      if (o.onError === 'fail') {
        if (text) await write(text);
        throw new CliError(describeFailure(r.error), 1);
      }
      if (o.onError === 'record') text += JSON.stringify({ error: { name: r.error.name, message: r.error.message, line: r.error.line } }) + '\n';
    }
    if (text) await write(text);
    progress.update(counts);
  };
  const writer = async () => {
    for (;;) {
      if (o.unordered) {
        for (const [no, done] of finished) {
          finished.delete(no);
          await handle(done);
        }
      } else {
        while (finished.has(nextToWrite)) {
          const done = finished.get(nextToWrite)!;
          finished.delete(nextToWrite++);
          await handle(done);
          toReader.notify();
        }
      }
      if (exhausted && running === 0 && finished.size === 0) return;
      await toWriter.wait();
    }
  };

  const reading = reader().catch((e: unknown) => {
    stopped ??= e instanceof CliError ? e : new CliError(`cannot read the input: ${(e as Error).message}`, 2);
    exhausted = true;
    toWriter.notify();
  });
  try {
    await writer();
    if (stopped) throw stopped;
  } catch (e) {
    stopped ??= e instanceof CliError ? e : (e as NodeJS.ErrnoException).code === 'EPIPE' ? new CliError('the output was closed', 1) : new CliError((e as Error).message, 1);
    toReader.notify();
    input.destroy();
    pool.terminate();
    await pool.join();
    await reading;
    progress.finish('stopped');
    throw stopped;
  }
  await reading;
  // Every result is in: the idle workers are ended rather than asked to finish.
  pool.terminate();
  await pool.join();
  if (o.output !== null) await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(new CliError(`cannot write the output ${o.output}: ${e.message}`, 1)) : resolve())));
  progress.finish('finished');
}

/** A chunk that failed as a whole: each of its lines fails with the reason. */
function chunkError(error: unknown, line: number, lines: Lines, timeout: number | undefined): LineError {
  const span = lines.length > 1 ? `the chunk of lines ${lines[0][0]}-${lines.at(-1)![0]}` : 'the task';
  if (error instanceof TimeoutError) return { name: 'TimeoutError', message: `${span} was not done within ${timeout! * lines.length} ms (--timeout ${timeout} per task)`, line };
  if (error instanceof WorkerLostError) return { name: 'WorkerLostError', message: `${span} was lost: ${error.message}`, line };
  throw new CliError(`the pool failed: ${(error as Error).message ?? String(error)}`, 1);
}

function describeFailure(e: LineError): string {
  const head = `line ${e.line} failed: ${e.name}: ${e.message}`;
  const stack = e.stack?.split('\n').slice(1).join('\n');
  return stack ? `${head}\n${stack}` : head;
}
