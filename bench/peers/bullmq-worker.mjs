// Hand-written BullMQ, the Redis backend's peer: one Worker per process computing a chunk of
// squares (a job's `items`), or one square (`x`); `ms` per item of wall time for the recovery row.
// Usage: node bullmq-worker.mjs <redis socket> <queue>
import { Worker } from 'bullmq';

const [socket, queue] = process.argv.slice(2);
const worker = new Worker(
  queue,
  async (job) => {
    const { items, x, ms } = job.data;
    if (items === undefined) return x * x;
    const out = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      if (ms) await new Promise((r) => setTimeout(r, ms));
      out[i] = items[i] * items[i];
    }
    return out;
  },
  { connection: { path: socket, maxRetriesPerRequest: null }, concurrency: 1, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 3 },
);
await worker.waitUntilReady();
process.stderr.write('ready\n');
process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
