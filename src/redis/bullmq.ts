// BullMQ and ioredis are optional peer dependencies: a user of the local library installs
// neither. They are imported here, when a Redis pool or worker starts, with an error that says
// what to install when they are missing.
import { ProcessError } from '../errors.js';

export type BullMQ = typeof import('bullmq');

export async function loadBullMQ(what: string): Promise<BullMQ> {
  try {
    return await import('bullmq');
  } catch (e) {
    throw Object.assign(new ProcessError(`${what}: the Redis backend needs the packages bullmq and ioredis, which are not installed: run \`npm install bullmq ioredis\` (${(e as Error).message})`), { cause: e });
  }
}
