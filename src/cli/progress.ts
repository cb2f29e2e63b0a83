// What `multiprocessing-ts map` tells the person watching: on a terminal, a progress bar on
// stderr (done/total when the total is known, items/s, ETA, failures), drawn by cli-progress;
// off a terminal, nothing until one summary line at the end, so that logs and pipes get the
// results and one line about them. The counts come from the CLI's own loop (each line's result
// as it arrives), not from the pool.
import type { MultiBar, SingleBar } from 'cli-progress';

export interface Counts {
  done: number;
  failed: number;
}

export interface ProgressOptions {
  /** draw a bar (stderr is a terminal and the user did not say --no-progress) */
  bar: boolean;
  /** what --on-error does with a failure, for the summary */
  onError: string;
}

const RENDER_MS = 100;

export class Progress {
  readonly #options: ProgressOptions;
  readonly #started = performance.now();
  #counts: Counts = { done: 0, failed: 0 };
  #total: number | null = null;
  #multi: MultiBar | null = null;
  #bar: SingleBar | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(options: ProgressOptions) {
    this.#options = options;
  }

  get drawsBar(): boolean {
    return this.#options.bar;
  }

  /** Starts drawing (loads cli-progress only when a bar is drawn). */
  async start(): Promise<void> {
    if (!this.#options.bar) return;
    const { default: cliProgress } = await import('cli-progress');
    this.#multi = new cliProgress.MultiBar(
      {
        stream: process.stderr,
        format: (options, params, payload: { rate: string; failed: number }) => {
          const known = this.#total !== null;
          const bar = known ? `${options.barCompleteString!.slice(0, Math.round(params.progress * options.barsize!))}${options.barIncompleteString!.slice(0, options.barsize! - Math.round(params.progress * options.barsize!))} ${Math.floor(params.progress * 100)}% | ` : '';
          const eta = known && params.value > 0 ? ` | ETA ${formatSeconds(params.eta)}` : '';
          return `${bar}${params.value}${known ? `/${params.total}` : ''} done | ${payload.rate}/s${eta} | ${payload.failed} failed`;
        },
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.#bar = this.#multi.create(0, 0, { rate: '0', failed: 0 });
    this.#timer = setInterval(() => this.draw(), RENDER_MS);
    this.#timer.unref();
  }

  /** The number of tasks, once counted (a file's lines). */
  setTotal(total: number): void {
    this.#total = total;
    this.#bar?.setTotal(total);
  }

  update(counts: Counts): void {
    this.#counts = counts;
  }

  /** A result line, when results go to the terminal the bar is on. */
  log(lines: string): void {
    this.#multi!.log(lines);
  }

  private rate(): number {
    const s = (performance.now() - this.#started) / 1000;
    return s > 0 ? this.#counts.done / s : 0;
  }

  private draw(): void {
    const r = this.rate();
    this.#bar?.update(this.#counts.done, { rate: r >= 100 ? Math.round(r).toString() : r.toFixed(1), failed: this.#counts.failed });
  }

  /** Stops the bar and prints the summary line. */
  finish(outcome: string): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#multi) {
      this.draw();
      this.#multi.update();
      this.#multi.stop();
    }
    const s = (performance.now() - this.#started) / 1000;
    const { done, failed } = this.#counts;
    const failures = failed ? `, ${failed} failed (${this.#options.onError === 'fail' ? 'stopped' : this.#options.onError === 'skip' ? 'skipped' : 'recorded'})` : '';
    const rate = this.rate();
    process.stderr.write(`multiprocessing-ts map: ${outcome}: ${done} done${failures} in ${s.toFixed(2)} s (${rate >= 100 ? Math.round(rate) : rate.toFixed(1)}/s)\n`);
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
