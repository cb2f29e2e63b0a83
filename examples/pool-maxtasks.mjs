// PyMOTW "Process Pools" (seed 001): a pool with an initializer; with maxtasksperchild, workers
// are replaced after that many tasks.   node examples/pool-maxtasks.mjs [thread|process] [maxtasks]
import * as mp from 'multiprocessing-ts';

export function doCalculation(data) {
  return data * 2;
}
export function startProcess() {
  console.log('Starting', mp.currentProcess().name);
}

if (mp.isMainProcess()) {
  const maxtasks = process.argv[3] ? Number(process.argv[3]) : null;
  const inputs = Array.from({ length: 10 }, (_, i) => i);
  console.log('Input   :', JSON.stringify(inputs));
  console.log('Built-in:', JSON.stringify(inputs.map(doCalculation)));
  const poolSize = mp.cpuCount() * 2;
  const pool = new mp.Pool({ processes: poolSize, initializer: startProcess, maxtasksperchild: maxtasks, context: process.argv[2] ?? null });
  const poolOutputs = await pool.map(doCalculation, inputs, { chunksize: 1 });
  pool.close(); // no more tasks
  await pool.join(); // wrap up current tasks
  console.log('Pool    :', JSON.stringify(poolOutputs));
}
