// The `map` command's arguments and options (commander), checked and turned into MapOptions.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { StartMethod } from '../process/runtime.js';
import { CliError, type CliCommand } from './errors.js';
import { runMap, type OnError } from './run-map.js';
import type { TaskSpec } from './task.js';

function chunksize(text: string): number | 'auto' {
  return text === 'auto' ? 'auto' : positiveInt('--chunksize')(text);
}

function positiveInt(what: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got '${text}'`);
    return n;
  };
}

/** `<module>#<export>`: a file path (relative to the current directory), a URL, or a package name. */
export function parseTarget(target: string): TaskSpec & { file: string | null } {
  const hash = target.lastIndexOf('#');
  const module = hash < 0 ? target : target.slice(0, hash);
  const name = hash < 0 ? 'default' : target.slice(hash + 1);
  if (!module || !name) throw new CliError(`expected <module>#<export> (for example ./tasks.mjs#square), got '${target}'`, 2);
  if (/^[a-z][a-z0-9+.-]+:/i.test(module)) return { module, name, star: false, file: null };
  const looksLikePath = module.startsWith('.') || module.startsWith('/') || /\.(m|c)?[jt]s$/.test(module);
  if (looksLikePath || existsSync(module)) {
    const file = resolve(module);
    if (!existsSync(file)) throw new CliError(`cannot find the module ${module} (looked for ${file})`, 2);
    return { module: pathToFileURL(file).href, name, star: false, file };
  }
  return { module, name, star: false, file: null }; // a package name, resolved in the workers
}

interface Flags {
  processes?: number;
  chunksize?: number | 'auto';
  context?: StartMethod;
  unordered?: boolean;
  star?: boolean;
  onError: OnError;
  timeout?: number;
  output?: string;
  redis?: string;
  progress: boolean;
}

export const mapCommand: CliCommand = {
  name: 'map',
  register(program: Command): void {
    program
      .command('map')
      .description('run <module>#<export> over each line of a JSON Lines file (or stdin) in a Pool; write one JSON line per result')
      .argument('<target>', 'the function: a module path or URL, #, and its export name (./tasks.mjs#square)')
      .argument('[input]', 'a JSON Lines file, one task per line (default: stdin; - also means stdin)')
      .option('-p, --processes <n>', 'workers (default: the number of CPUs)', positiveInt('--processes'))
      .option('-c, --chunksize <n>', "lines a worker gets at once, or 'auto': about 10 ms of work (default: auto; 1 with --timeout)", chunksize)
      .addOption(new Option('--context <method>', 'start method of the workers').choices(['thread', 'process']))
      .option('-u, --unordered', 'write results as they complete, not in input order')
      .option('--star', 'spread each line (a JSON array) as the arguments')
      .addOption(new Option('--on-error <mode>', 'a task that throws: stop (fail), leave it out (skip), or write {"error": ...} in its place (record)').choices(['fail', 'skip', 'record']).default('fail'))
      .option('-t, --timeout <ms>', 'time limit of each task, in ms (a task over it fails, and its worker is replaced)', positiveInt('--timeout'))
      .option('-o, --output <file>', 'write the results to this file (default: stdout)')
      .option('--redis <url>', 'run on the Redis backend (redis://host:port/db) instead of local workers')
      .option('--no-progress', 'no progress bar, even on a terminal')
      .addHelpText('after', '\nExit codes: 0 done (failures skipped or recorded as --on-error says), 1 a task or the pool failed, 2 bad usage.\nExample: multiprocessing-ts map ./tasks.mjs#square data.jsonl > squares.jsonl')
      .action(async (target: string, input: string | undefined, flags: Flags) => {
        const { file: _file, ...task } = parseTarget(target);
        await runMap({
          task: { ...task, star: flags.star === true },
          input: input === undefined || input === '-' ? null : input,
          output: flags.output ?? null,
          processes: flags.processes,
          chunksize: flags.chunksize ?? (flags.timeout !== undefined ? 1 : 'auto'),
          context: flags.context,
          unordered: flags.unordered === true,
          onError: flags.onError,
          timeout: flags.timeout,
          redis: flags.redis,
          progress: flags.progress,
        });
      });
  },
};
