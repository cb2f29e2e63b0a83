// Where named segments are registered so that they never outlive their process family: one
// tracker process (native/tracker.c) per family, started by the first member that needs it and
// published in the arena header; every other member joins it through /proc/<pid>/fd. If the
// publisher has already ended (so its fd cannot be opened), the member starts and publishes
// its own.
import { writeSync } from 'node:fs';
import { core, HDR_TRACKER_FD, HDR_TRACKER_PID } from '../core/core.js';
import { native } from '../core/native.js';

let fd = -1;

function trackerFd(): number {
  if (fd >= 0 || !native) return fd;
  const i32 = core().i32;
  const pid = Atomics.load(i32, HDR_TRACKER_PID);
  if (pid > 0 && pid !== process.pid) {
    fd = native.trackerAttach(pid, Atomics.load(i32, HDR_TRACKER_FD));
    if (fd >= 0) return fd;
  }
  // Ours (a thread of the publishing process shares its fd), nobody's yet, or gone: start
  // one and publish it. -1 marks the two words as being written.
  fd = native.trackerStart();
  if (pid !== process.pid && Atomics.compareExchange(i32, HDR_TRACKER_PID, pid, -1) === pid) {
    Atomics.store(i32, HDR_TRACKER_FD, fd);
    Atomics.store(i32, HDR_TRACKER_PID, process.pid);
  }
  return fd;
}

export function track(name: string): void {
  if (trackerFd() >= 0) writeSync(fd, `R/${name}\n`);
}
export function untrack(name: string): void {
  if (trackerFd() >= 0) writeSync(fd, `U/${name}\n`);
}
