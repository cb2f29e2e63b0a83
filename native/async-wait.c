// Asynchronous waits (waitAsync): one helper pthread per JS environment sleeps in futex_waitv
// on every pending asynchronous wait at once and reports to the event loop through a
// threadsafe function: no libuv threadpool slot is taken, the loop is never blocked. The
// helper starts with the environment's first asynchronous wait and is stopped (joined) when
// the environment is torn down. The synchronous form is futex.c.
#include "mpts.h"
#include <linux/futex.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef FUTEX_32
#define FUTEX_32 2
struct futex_waitv {
  uint64_t val;
  uint64_t uaddr;
  uint32_t flags;
  uint32_t __reserved;
};
#endif

#define MAX_WAITV 128

typedef struct Waiter {
  int32_t* addr;
  int32_t expected;
  int64_t deadline;
  int result;  // -1 pending
  napi_deferred deferred;
  napi_ref keep;  // the Int32Array, so its memory outlives the wait
  int weak;       // does not keep the event loop alive
  struct Waiter* next;
} Waiter;

typedef struct {
  pthread_mutex_t lock;
  pthread_t thread;
  int started;
  int stopping;
  int32_t ctl;  // bumped to make the helper rebuild its wait set
  Waiter* pending;
  Waiter* done;
  int npending;  // owned by the JS thread: waits not yet settled that keep the loop alive
  int refed;
  napi_threadsafe_function tsfn;
} AsyncState;

static void complete(AsyncState* s, Waiter** link, int result) {
  Waiter* w = *link;
  *link = w->next;
  w->result = result;
  w->next = s->done;
  s->done = w;
}

static void* helper_main(void* arg) {
  AsyncState* s = arg;
  struct futex_waitv wv[MAX_WAITV];
  pthread_mutex_lock(&s->lock);
  while (!s->stopping) {
    int n = 0;
    int64_t deadline = -1;
    int overflow = 0;
    wv[n].val = (uint32_t)s->ctl;
    wv[n].uaddr = (uintptr_t)&s->ctl;
    wv[n].flags = FUTEX_32 | FUTEX_PRIVATE_FLAG;
    wv[n].__reserved = 0;
    n++;
    for (Waiter* w = s->pending; w; w = w->next) {
      if (w->deadline >= 0 && (deadline < 0 || w->deadline < deadline)) deadline = w->deadline;
      int dup = 0;
      for (int i = 1; i < n; i++)
        if (wv[i].uaddr == (uintptr_t)w->addr && (int32_t)wv[i].val == w->expected) { dup = 1; break; }
      if (dup) continue;
      if (n == MAX_WAITV) { overflow = 1; continue; }
      wv[n].val = (uint32_t)w->expected;
      wv[n].uaddr = (uintptr_t)w->addr;
      wv[n].flags = FUTEX_32;
      wv[n].__reserved = 0;
      n++;
    }
    // Waits beyond what one futex_waitv can hold are re-checked every millisecond.
    if (overflow) {
      int64_t soon = mpts_now_ns() + 1000000;
      if (deadline < 0 || soon < deadline) deadline = soon;
    }
    pthread_mutex_unlock(&s->lock);
    struct timespec ts = mpts_ts_of(deadline);
    long r = syscall(SYS_futex_waitv, wv, n, 0, deadline < 0 ? NULL : &ts, CLOCK_MONOTONIC);
    int woken = r >= 1 ? (int)r : -1;
    pthread_mutex_lock(&s->lock);
    int64_t now = mpts_now_ns();
    int any = 0;
    Waiter** link = &s->pending;
    while (*link) {
      Waiter* w = *link;
      int hit = woken >= 1 && wv[woken].uaddr == (uintptr_t)w->addr && (int32_t)wv[woken].val == w->expected;
      if (hit || __atomic_load_n(w->addr, __ATOMIC_SEQ_CST) != w->expected) { complete(s, link, 0); any = 1; }
      else if (w->deadline >= 0 && w->deadline <= now) { complete(s, link, 2); any = 1; }
      else link = &w->next;
    }
    if (any) napi_call_threadsafe_function(s->tsfn, NULL, napi_tsfn_nonblocking);
  }
  pthread_mutex_unlock(&s->lock);
  return NULL;
}

static void settle_done(napi_env env, napi_value js_cb, void* context, void* data) {
  (void)js_cb; (void)data;
  AsyncState* s = context;
  if (env == NULL) return;
  pthread_mutex_lock(&s->lock);
  Waiter* list = s->done;
  s->done = NULL;
  pthread_mutex_unlock(&s->lock);
  // Settle in registration order (the list is built newest first).
  Waiter* ordered = NULL;
  while (list) { Waiter* n = list->next; list->next = ordered; ordered = list; list = n; }
  while (ordered) {
    Waiter* w = ordered;
    ordered = w->next;
    napi_value v;
    napi_create_int32(env, w->result, &v);
    napi_delete_reference(env, w->keep);
    napi_resolve_deferred(env, w->deferred, v);
    if (!w->weak) s->npending--;
    free(w);
  }
  if (s->npending == 0 && s->refed) {
    napi_unref_threadsafe_function(env, s->tsfn);
    s->refed = 0;
  }
}

static void stop_helper(void* arg) {
  AsyncState* s = arg;
  if (!s->started) return;
  pthread_mutex_lock(&s->lock);
  s->stopping = 1;
  __atomic_add_fetch(&s->ctl, 1, __ATOMIC_SEQ_CST);
  mpts_futex(&s->ctl, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, 0);
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->thread, NULL);
  s->started = 0;
}

static void free_state(napi_env env, void* data, void* hint) {
  (void)env; (void)hint;
  AsyncState* s = data;
  stop_helper(s);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

void mpts_async_init(napi_env env) {
  AsyncState* s = calloc(1, sizeof(AsyncState));
  pthread_mutex_init(&s->lock, NULL);
  napi_set_instance_data(env, s, free_state, NULL);
}

static AsyncState* async_state(napi_env env) {
  AsyncState* s = NULL;
  napi_get_instance_data(env, (void**)&s);
  return s;
}

// waitAsync(view, index, expected, timeoutMs, weak) -> Promise<0 | 1 | 2>, like wait().
napi_value mpts_wait_async(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t expected;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* addr = mpts_word_at(env, argv[0], argv[1]);
  if (addr == NULL) return NULL;
  CHECK(napi_get_value_int32(env, argv[2], &expected));
  int64_t deadline = mpts_deadline_of(env, argv[3]);
  napi_value promise;
  napi_deferred deferred;
  CHECK(napi_create_promise(env, &deferred, &promise));
  if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != expected) {
    napi_value v;
    napi_create_int32(env, 1, &v);
    napi_resolve_deferred(env, deferred, v);
    return promise;
  }
  AsyncState* s = async_state(env);
  if (!s->started) {
    napi_value name;
    napi_create_string_utf8(env, "mpts-async-wait", NAPI_AUTO_LENGTH, &name);
    CHECK(napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, s, settle_done, &s->tsfn));
    napi_unref_threadsafe_function(env, s->tsfn);
    int err = pthread_create(&s->thread, NULL, helper_main, s);  // returns the error, not errno
    if (err != 0) {
      napi_release_threadsafe_function(s->tsfn, napi_tsfn_release);
      return mpts_throw_errno(env, "starting the wait thread failed", err);
    }
    s->started = 1;
    napi_add_env_cleanup_hook(env, stop_helper, s);
  }
  Waiter* w = calloc(1, sizeof(Waiter));
  w->addr = addr;
  w->expected = expected;
  w->deadline = deadline;
  w->result = -1;
  w->deferred = deferred;
  napi_create_reference(env, argv[0], 1, &w->keep);
  bool weak = false;
  if (argc >= 5) napi_get_value_bool(env, argv[4], &weak);
  w->weak = weak;
  if (!weak) {
    if (!s->refed) {
      napi_ref_threadsafe_function(env, s->tsfn);
      s->refed = 1;
    }
    s->npending++;
  }
  pthread_mutex_lock(&s->lock);
  w->next = s->pending;
  s->pending = w;
  __atomic_add_fetch(&s->ctl, 1, __ATOMIC_SEQ_CST);
  mpts_futex(&s->ctl, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, 0);
  pthread_mutex_unlock(&s->lock);
  return promise;
}

// waitCancel(view, index): settles this environment's pending waits on that word at once (with
// 1, "not equal", so each re-checks its condition), for a JS caller that stopped waiting (an
// aborted call). Waking the word instead could be lost: a wait just registered may not be in
// the helper's futex_waitv yet, and would then stay pending (and keep the process alive).
napi_value mpts_wait_cancel(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* addr = mpts_word_at(env, argv[0], argv[1]);
  if (addr == NULL) return NULL;
  AsyncState* s = async_state(env);
  if (!s->started) return NULL;
  int any = 0;
  pthread_mutex_lock(&s->lock);
  Waiter** link = &s->pending;
  while (*link) {
    if ((*link)->addr == addr) {
      complete(s, link, 1);
      any = 1;
    } else {
      link = &(*link)->next;
    }
  }
  if (any) {
    // The helper rebuilds its wait set without the cancelled words.
    __atomic_add_fetch(&s->ctl, 1, __ATOMIC_SEQ_CST);
    mpts_futex(&s->ctl, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, 0);
  }
  pthread_mutex_unlock(&s->lock);
  if (any) napi_call_threadsafe_function(s->tsfn, NULL, napi_tsfn_nonblocking);
  return NULL;
}
