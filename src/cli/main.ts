// The `multiprocessing-ts` program (package.json "bin" runs this through bin/): commander
// parses the command line; each command is registered from its own file (commands.ts). Errors
// end the program with a message on stderr and the exit code they carry: 2 for bad usage
// (commander's own errors included), 1 for a failure while running.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { packageRoot } from '../util/here.js';
import { commands } from './commands.js';
import { CliError } from './errors.js';

export async function main(argv: string[] = process.argv): Promise<number> {
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const program = new Command('multiprocessing-ts')
    .description("Python's multiprocessing for Node.js, from the command line")
    .version(version)
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError();
  for (const c of commands) c.register(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof CliError) {
      process.stderr.write(`multiprocessing-ts: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

process.exitCode = await main();
