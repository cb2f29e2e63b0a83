// mpts native core: shared memory that crosses OS processes, and futex wait/wake on it. This
// file only sets the process up and lists what JS can call (src/core/native.ts declares the
// same list as NativeCore); each subsystem lives in its own file, their shared helpers in
// common.c and mpts.h:
//
//   arena.c       the family arena: one memfd per family, mapped by every member
//   segments.c    named shm_open segments for SharedMemory, which unrelated processes attach
//   tracker.c     the process that unlinks a family's named segments once it has gone
//   futex.c       wait/wake on a shared 32-bit word, between threads and processes
//   async-wait.c  waitAsync: one helper thread per JS environment, off the libuv threadpool
//   pidfd.c       joining a child with a timeout without reaping it; the OS thread id
//   buffer.cc     ArrayBuffers over mapped memory that V8 does not count as its own
//
// Everything above (locks, queues, pools) is written in JS on Atomics over the memory handed
// out here; native code is entered only to sleep or to wake a sleeper, never on an
// uncontended fast path.
#include "mpts.h"
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

// Messages of a megabyte or more arrive as fresh Buffers. With glibc's default each one is a new
// mmap (the threshold adapts only when such a block is freed, which V8 does late, at GC), so
// every message pays a page fault per 4 KiB: measured 0.6-2.3 GiB/s for 1 MiB messages,
// depending on when GC ran. Serving blocks up to 64 MiB from the heap lets freed ones be reused.
// Set once per process (MPTS_MALLOPT=0 leaves malloc alone).
static void tune_malloc(void) {
  static int done = 0;
  const char* opt = getenv("MPTS_MALLOPT");
  if (done || (opt && strcmp(opt, "0") == 0)) return;
  done = 1;
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

NAPI_MODULE_INIT() {
  tune_malloc();
  mpts_async_init(env);
  napi_property_descriptor props[] = {
      {"shmOpen", NULL, mpts_shm_open, NULL, NULL, NULL, napi_default, NULL},
      {"shmUnlink", NULL, mpts_shm_unlink, NULL, NULL, NULL, napi_default, NULL},
      {"unmap", NULL, mpts_unmap, NULL, NULL, NULL, napi_default, NULL},
      {"trackerStart", NULL, mpts_tracker_start, NULL, NULL, NULL, napi_default, NULL},
      {"trackerAttach", NULL, mpts_tracker_attach, NULL, NULL, NULL, napi_default, NULL},
      {"arena", NULL, mpts_arena, NULL, NULL, NULL, napi_default, NULL},
      {"arenaReserve", NULL, mpts_arena_reserve, NULL, NULL, NULL, napi_default, NULL},
      {"wait", NULL, mpts_wait, NULL, NULL, NULL, napi_default, NULL},
      {"wake", NULL, mpts_wake, NULL, NULL, NULL, napi_default, NULL},
      {"waitAsync", NULL, mpts_wait_async, NULL, NULL, NULL, napi_default, NULL},
      {"waitCancel", NULL, mpts_wait_cancel, NULL, NULL, NULL, napi_default, NULL},
      {"pidOpen", NULL, mpts_pid_open, NULL, NULL, NULL, napi_default, NULL},
      {"pidClose", NULL, mpts_pid_close, NULL, NULL, NULL, napi_default, NULL},
      {"pidWait", NULL, mpts_pid_wait, NULL, NULL, NULL, napi_default, NULL},
      {"gettid", NULL, mpts_gettid, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
