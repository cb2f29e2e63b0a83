#!/usr/bin/env node
// The package's command, `multiprocessing-ts`: one file per subcommand beside this one, each
// exporting a function that registers it on the program.
import { Command } from 'commander';
import { registerWorker } from './worker.js';

const program = new Command('multiprocessing-ts').description("Python's multiprocessing for Node.js, from the command line");
registerWorker(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.stderr.write(`multiprocessing-ts: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
