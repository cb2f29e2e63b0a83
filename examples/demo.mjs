// `npm start`: the seed examples that run today, in this package's idiom.
// From "What's new in Python 2.6" and the multiprocessing guide: a Process per task, the
// Process/terminate reference session, and the same work under both start methods.
import * as mp from 'multiprocessing-ts';

export function f(name) {
  console.log('hello', name, `(from ${mp.currentProcess().name}, pid ${mp.currentProcess().pid})`);
}

export function longHardTask(n) {
  console.log(n * 43);
}

export function sleeper() {
  setInterval(() => {}, 1000);
}

if (mp.isMainProcess()) {
  for (const method of mp.getAllStartMethods()) {
    console.log(`--- start method: ${method}`);
    const ctx = mp.getContext(method);

    // from multiprocessing import Process; p = Process(target=f, args=('bob',)); p.start(); p.join()
    const p = new ctx.Process({ target: f, args: ['bob'] });
    p.start();
    await p.join();

    // for i in range(10): Process(target=long_hard_task, args=(i,)).start()
    const tasks = Array.from({ length: 10 }, (_, i) => ctx.Process({ target: longHardTask, args: [i] }));
    for (const t of tasks) t.start();
    for (const t of tasks) await t.join();

    // The reference session: print(p, p.is_alive()) around start and terminate.
    const s = ctx.Process({ target: sleeper });
    console.log(String(s), s.isAlive());
    s.start();
    console.log(String(s), s.isAlive());
    s.terminate();
    await s.join();
    console.log(String(s), s.isAlive());
    console.log('exitcode == -SIGTERM:', s.exitcode === -15);
  }
}
