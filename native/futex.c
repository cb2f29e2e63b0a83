// Synchronous wait and wake on a 32-bit word of shared memory: FUTEX_WAIT_BITSET (absolute
// CLOCK_MONOTONIC deadline, EINTR-safe) and FUTEX_WAKE, shared (no FUTEX_PRIVATE_FLAG), so they
// work between threads and between processes. Everything above (locks, queues, pools) is
// written in JS on Atomics over the arena; these are entered only to sleep or to wake a
// sleeper, never on an uncontended fast path. The asynchronous form is async-wait.c.
#include "mpts.h"
#include <errno.h>
#include <linux/futex.h>

// wait(view, index, expected, timeoutMs) -> 0 woken, 1 value was not expected, 2 timed out
napi_value mpts_wait(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t expected;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* addr = mpts_word_at(env, argv[0], argv[1]);
  if (addr == NULL) return NULL;
  CHECK(napi_get_value_int32(env, argv[2], &expected));
  int64_t deadline = mpts_deadline_of(env, argv[3]);
  int result;
  for (;;) {
    struct timespec ts = mpts_ts_of(deadline);
    long r = mpts_futex(addr, FUTEX_WAIT_BITSET, expected, deadline < 0 ? NULL : &ts, FUTEX_BITSET_MATCH_ANY);
    if (r == 0) { result = 0; break; }
    if (errno == EAGAIN) { result = 1; break; }
    if (errno == ETIMEDOUT) { result = 2; break; }
    if (errno != EINTR) return mpts_throw_errno(env, "futex wait failed", errno);
  }
  napi_value out;
  CHECK(napi_create_int32(env, result, &out));
  return out;
}

// wake(view, index, count) -> number of sleepers woken
napi_value mpts_wake(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t count;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* addr = mpts_word_at(env, argv[0], argv[1]);
  if (addr == NULL) return NULL;
  CHECK(napi_get_value_int32(env, argv[2], &count));
  long r = mpts_futex(addr, FUTEX_WAKE, count, NULL, 0);
  napi_value out;
  CHECK(napi_create_int32(env, (int32_t)(r < 0 ? 0 : r), &out));
  return out;
}
