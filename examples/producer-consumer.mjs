// PyMOTW "Passing Messages to Processes" (seed 001): Consumer processes take Tasks from a
// JoinableQueue until a poison pill (null) arrives, and put their answers on a Queue.
//   node examples/producer-consumer.mjs [thread|process]
import * as mp from 'multiprocessing-ts';

export class Task {
  constructor(a, b) {
    this.a = a;
    this.b = b;
  }
  async call() {
    await new Promise((r) => setTimeout(r, 100)); // pretend to take some time to do the work
    return `${this.a} * ${this.b} = ${this.a * this.b}`;
  }
  toString() {
    return `${this.a} * ${this.b}`;
  }
}
mp.registerClass(Task); // keeps the prototype (call, toString) across the boundary

export class Consumer extends mp.Process {
  constructor(taskQueue, resultQueue) {
    super();
    this.taskQueue = taskQueue;
    this.resultQueue = resultQueue;
  }
  async run() {
    const procName = this.name;
    for (;;) {
      const nextTask = await this.taskQueue.get();
      if (nextTask === null) {
        // Poison pill means shutdown
        console.log(`${procName}: Exiting`);
        this.taskQueue.taskDone();
        break;
      }
      console.log(`${procName}: ${nextTask}`);
      const answer = await nextTask.call();
      this.taskQueue.taskDone();
      await this.resultQueue.put(answer);
    }
  }
}
mp.registerClass(Consumer);

if (mp.isMainProcess()) {
  if (process.argv[2]) mp.setStartMethod(process.argv[2]);
  const tasks = mp.JoinableQueue();
  const results = mp.Queue();
  const numConsumers = mp.cpuCount() * 2;
  console.log(`Creating ${numConsumers} consumers`);
  const consumers = Array.from({ length: numConsumers }, () => new Consumer(tasks, results));
  for (const w of consumers) w.start();
  let numJobs = 10;
  for (let i = 0; i < numJobs; i++) await tasks.put(new Task(i, i));
  for (let i = 0; i < numConsumers; i++) await tasks.put(null);
  await tasks.join();
  while (numJobs) {
    const result = await results.get();
    console.log('Result:', result);
    numJobs -= 1;
  }
  for (const w of consumers) await w.join();
}
