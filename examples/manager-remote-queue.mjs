// Seed 002 (Python's docs, "Using a remote manager"): one program serves a queue on a TCP
// address with an authkey, another connects and puts, a third connects and gets.
//   node examples/manager-remote-queue.mjs serve 50000 &
//   node examples/manager-remote-queue.mjs put 50000
//   node examples/manager-remote-queue.mjs get 50000     # prints hello
import * as mp from 'multiprocessing-ts';

const queue = new mp.Queue();
export function getQueue() {
  return queue;
}

export class QueueManager extends mp.BaseManager {}

const [mode, port = '50000'] = process.argv.slice(2);
const address = ['127.0.0.1', Number(port)];
if (mp.isMainProcess()) {
  if (mode === 'serve') {
    QueueManager.register('get_queue', getQueue);
    const m = new QueueManager({ address, authkey: 'abracadabra' });
    const s = m.getServer();
    console.log('serving on', await s.address);
    await s.serveForever();
  } else {
    QueueManager.register('get_queue');
    const m = new QueueManager({ address, authkey: 'abracadabra' });
    await m.connect();
    const q = await m.get_queue();
    if (mode === 'put') await q.put('hello');
    else console.log(await q.get({ timeout: 5000 }));
  }
}
