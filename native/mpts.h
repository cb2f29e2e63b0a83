// What the native core's files share: the Node-API error and argument helpers, monotonic
// deadlines, the futex call, and the declarations mpts.c registers. Each subsystem lives in its
// own file (arena.c, segments.c, tracker.c, futex.c, async-wait.c, pidfd.c); this header is
// included first by every one of them, so _GNU_SOURCE is set before any system header.
#ifndef MPTS_H
#define MPTS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, "MPTS_NATIVE", "Node-API call failed: " #call); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

// ---------------------------------------------------------------- common.c

// Throws an Error whose code is the errno's name (ENOSPC, ENOENT, EEXIST, else ESYSCALL),
// its message `what: strerror(err)`; returns NULL for the caller to return.
napi_value mpts_throw_errno(napi_env env, const char* what, int err);

// The 32-bit word view[index] of an Int32Array, or NULL with a TypeError/RangeError thrown.
int32_t* mpts_word_at(napi_env env, napi_value view, napi_value index);

// Milliseconds from JS (negative or Infinity: wait forever) to an absolute deadline, -1 = none.
int64_t mpts_deadline_of(napi_env env, napi_value ms);

// Opens descriptor `fd` of process `pid` through /proc/<pid>/fd/<fd> (CLOEXEC added to
// `flags`): how a member of the family attaches its parent's memfd or tracker pipe. -1 and
// errno on failure.
int mpts_open_proc_fd(int pid, int fd, int flags);

static inline int64_t mpts_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline struct timespec mpts_ts_of(int64_t ns) {
  struct timespec ts = {ns / 1000000000LL, ns % 1000000000LL};
  return ts;
}

static inline long mpts_futex(int32_t* addr, int op, int32_t val, const struct timespec* ts, uint32_t bitset) {
  return syscall(SYS_futex, addr, op, val, ts, NULL, bitset);
}

// ---------------------------------------------------------------- buffer.cc

// An ArrayBuffer over mapped memory that V8 does not count as its own. Mappings are unmapped
// by unmap() or at exit, never by the GC.
napi_value mpts_unaccounted_buffer(napi_env env, void* addr, size_t size);

// ---------------------------------------------------------------- async-wait.c

// Gives this JS environment its (not yet started) wait helper; stopped at environment teardown.
void mpts_async_init(napi_env env);

// ---------------------------------------------------------------- the functions JS calls

napi_value mpts_arena(napi_env env, napi_callback_info info);
napi_value mpts_arena_reserve(napi_env env, napi_callback_info info);
napi_value mpts_shm_open(napi_env env, napi_callback_info info);
napi_value mpts_shm_unlink(napi_env env, napi_callback_info info);
napi_value mpts_unmap(napi_env env, napi_callback_info info);
napi_value mpts_tracker_start(napi_env env, napi_callback_info info);
napi_value mpts_tracker_attach(napi_env env, napi_callback_info info);
napi_value mpts_wait(napi_env env, napi_callback_info info);
napi_value mpts_wake(napi_env env, napi_callback_info info);
napi_value mpts_wait_async(napi_env env, napi_callback_info info);
napi_value mpts_wait_cancel(napi_env env, napi_callback_info info);
napi_value mpts_pid_open(napi_env env, napi_callback_info info);
napi_value mpts_pid_close(napi_env env, napi_callback_info info);
napi_value mpts_pid_wait(napi_env env, napi_callback_info info);
napi_value mpts_gettid(napi_env env, napi_callback_info info);

#endif
