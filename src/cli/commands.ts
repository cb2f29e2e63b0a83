// The commands of the `multiprocessing-ts` program, one file each under src/cli/. A command
// registers its arguments and its action on the program; main.ts knows nothing else of it.
// The Redis backend's `worker` command (run on each worker machine) registers here too, from
// its own file, beside `map`.
import type { CliCommand } from './errors.js';
import { mapCommand } from './map.js';
import { registerWorker } from './worker.js';

export type { CliCommand };

export const commands: CliCommand[] = [mapCommand, { name: 'worker', register: registerWorker }];
