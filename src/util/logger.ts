// mp.getLogger() / mp.logToStderr(): Python's multiprocessing logger, in miniature. Records go
// to stderr as `[LEVEL/ProcessName] message`, written synchronously so a child's last words
// are never lost when it exits.
import { writeSync } from 'node:fs';

export const levels = { DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;
export type LevelName = keyof typeof levels;
export const SUBDEBUG = 5, SUBWARNING = 25;

export class Logger {
  level: number = levels.WARNING;
  private toStderr = false;
  private processName: () => string = () => 'MainProcess';
  setLevel(level: number | LevelName): void {
    this.level = typeof level === 'number' ? level : levels[level];
    if (this.level === undefined) throw new TypeError(`unknown log level ${String(level)}`);
  }
  getEffectiveLevel(): number {
    return this.level;
  }
  /** @internal */
  attach(enabled: boolean, processName: () => string): void {
    this.toStderr = enabled;
    this.processName = processName;
  }
  get handlersAttached(): boolean {
    return this.toStderr;
  }
  log(level: number, message: string): void {
    if (!this.toStderr || level < this.level) return;
    const name = Object.entries(levels).find(([, v]) => v === level)?.[0] ?? (level === SUBDEBUG ? 'SUBDEBUG' : `Level ${level}`);
    writeSync(2, `[${name}/${this.processName()}] ${message}\n`);
  }
  debug(m: string): void { this.log(levels.DEBUG, m); }
  info(m: string): void { this.log(levels.INFO, m); }
  warning(m: string): void { this.log(levels.WARNING, m); }
  warn(m: string): void { this.log(levels.WARNING, m); }
  error(m: string): void { this.log(levels.ERROR, m); }
  critical(m: string): void { this.log(levels.CRITICAL, m); }
}

export const logger = new Logger();
