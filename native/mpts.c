// mpts native core: shared memory that crosses OS processes, and futex wait/wake on it.
//
// Everything above this file (locks, queues, pools) is written in JS on Atomics over the
// memory handed out here; native code is entered only to sleep or to wake a sleeper, never
// on an uncontended fast path.
//
//   segments  memfd (anonymous, CLOEXEC, named "mpts-<pid>-...") mapped MAP_SHARED; another
//             process of the family opens it through /proc/<pid>/fd/<fd>. Nothing is ever
//             placed in /dev/shm, so a SIGKILLed family leaves nothing behind.
//   named     shm_open segments for SharedMemory, which unrelated processes attach by name.
//   futex     FUTEX_WAIT_BITSET (absolute CLOCK_MONOTONIC deadline, EINTR-safe) / FUTEX_WAKE,
//             shared (no FUTEX_PRIVATE_FLAG): works between threads and between processes.
//   async     one helper pthread per JS environment sleeps in futex_waitv on every pending
//             asynchronous wait at once and reports to the event loop through a threadsafe
//             function: no libuv threadpool slot is taken, the loop is never blocked.
//   pidwait   pidfd_open + poll + waitid(WNOWAIT): a synchronous join with a timeout that
//             leaves reaping to libuv.
#define _GNU_SOURCE
#include <node_api.h>
#include <malloc.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
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

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, "MPTS_NATIVE", "Node-API call failed: " #call); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

static napi_value throw_errno(napi_env env, const char* what, int err) {
  char msg[512];
  const char* code = err == ENOSPC ? "ENOSPC" : err == ENOENT ? "ENOENT" : err == EEXIST ? "EEXIST" : "ESYSCALL";
  if (err == ENOSPC)
    snprintf(msg, sizeof msg, "%s: no space left for shared memory (%s); free /dev/shm or memory, or ask for a smaller size", what, strerror(err));
  else
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec ts_of(int64_t ns) {
  struct timespec ts = {ns / 1000000000LL, ns % 1000000000LL};
  return ts;
}

// ---------------------------------------------------------------- argument helpers

static int32_t* word_at(napi_env env, napi_value view, napi_value index) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  uint32_t i;
  if (napi_get_typedarray_info(env, view, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    napi_throw_type_error(env, NULL, "expected an Int32Array over shared memory");
    return NULL;
  }
  if (napi_get_value_uint32(env, index, &i) != napi_ok || i >= length) {
    napi_throw_range_error(env, NULL, "futex index out of range");
    return NULL;
  }
  return (int32_t*)data + i;
}

// Milliseconds from JS (negative or Infinity: wait forever) to an absolute deadline, -1 = none.
static int64_t deadline_of(napi_env env, napi_value ms) {
  double t;
  napi_get_value_double(env, ms, &t);
  if (!(t >= 0) || t > 1e15) return -1;
  return now_ns() + (int64_t)(t * 1e6);
}

// ---------------------------------------------------------------- segments

// Mappings are unmapped by unmap() or at exit, never by the GC; see buffer.cc.
napi_value mpts_unaccounted_buffer(napi_env env, void* addr, size_t size);

static napi_value external_buffer(napi_env env, void* addr, size_t size) {
  return mpts_unaccounted_buffer(env, addr, size);
}

// Reserve the pages now so that a full tmpfs is a clean error here and never a SIGBUS later.
static int reserve(int fd, size_t size) {
  if (ftruncate(fd, (off_t)size) != 0) return errno;
  int err = posix_fallocate(fd, 0, (off_t)size);
  return err == EOPNOTSUPP || err == EINVAL ? 0 : err;
}

static napi_value map_fd(napi_env env, int fd, size_t size, int owns_fd) {
  void* addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) {
    int err = errno;
    if (owns_fd) close(fd);
    return throw_errno(env, "mmap of a shared segment failed", err);
  }
  struct stat st;
  fstat(fd, &st);
  napi_value result, v;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "buffer", external_buffer(env, addr, size)));
  CHECK(napi_create_int32(env, fd, &v));
  CHECK(napi_set_named_property(env, result, "fd", v));
  CHECK(napi_create_double(env, (double)st.st_ino, &v));
  CHECK(napi_set_named_property(env, result, "ino", v));
  CHECK(napi_create_double(env, (double)(uintptr_t)addr, &v));
  CHECK(napi_set_named_property(env, result, "address", v));
  return result;
}

// memfdCreate(name, size, reserveBytes) -> { buffer, fd, ino, address }
static napi_value memfd_create_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char name[200];
  double size, reserve_bytes;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, NULL));
  CHECK(napi_get_value_double(env, argv[1], &size));
  CHECK(napi_get_value_double(env, argv[2], &reserve_bytes));
  int fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, "memfd_create failed", errno);
  if (ftruncate(fd, (off_t)size) != 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "sizing a shared segment failed", err);
  }
  if (reserve_bytes > 0) {
    int err = posix_fallocate(fd, 0, (off_t)reserve_bytes);
    if (err != 0 && err != EOPNOTSUPP) {
      close(fd);
      return throw_errno(env, "reserving shared memory failed", err);
    }
  }
  return map_fd(env, fd, (size_t)size, 1);
}

// memfdOpen(pid, fd, ino, size) -> { buffer, fd, ino, address }: attach another process's memfd.
static napi_value memfd_open_js(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t pid, fd;
  double ino, size;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &pid));
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  CHECK(napi_get_value_double(env, argv[2], &ino));
  CHECK(napi_get_value_double(env, argv[3], &size));
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
  int own = open(path, O_RDWR | O_CLOEXEC);
  if (own < 0) return throw_errno(env, "attaching a shared segment of another process failed (has it exited?)", errno);
  struct stat st;
  if (fstat(own, &st) != 0 || (double)st.st_ino != ino) {
    close(own);
    napi_throw_error(env, "ESTALE", "attaching a shared segment failed: the descriptor no longer names that segment (its owner exited)");
    return NULL;
  }
  return map_fd(env, own, (size_t)size, 1);
}

// shmOpen(name, create, size) -> { buffer, fd, ino, address, size }: POSIX named shared memory.
static napi_value shm_open_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  char name[256];
  bool create;
  double size;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, NULL));
  CHECK(napi_get_value_bool(env, argv[1], &create));
  CHECK(napi_get_value_double(env, argv[2], &size));
  int fd = shm_open(name, create ? (O_RDWR | O_CREAT | O_EXCL) : O_RDWR, 0600);
  if (fd < 0) return throw_errno(env, create ? "creating shared memory failed" : "opening shared memory failed", errno);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (create) {
    // A request beyond what the tmpfs has left fails at once, before fallocate fills memory.
    struct statvfs sv;
    int err = fstatvfs(fd, &sv) == 0 && size > (double)sv.f_bavail * (double)sv.f_frsize ? ENOSPC : 0;
    if (!err) err = reserve(fd, (size_t)size);
    if (err) {
      close(fd);
      shm_unlink(name);
      return throw_errno(env, "creating shared memory failed", err);
    }
  } else {
    struct stat st;
    fstat(fd, &st);
    size = (double)st.st_size;
  }
  if (size <= 0) {
    close(fd);
    napi_throw_error(env, "EINVAL", "shared memory of size 0 cannot be mapped");
    return NULL;
  }
  napi_value result = map_fd(env, fd, (size_t)size, 1), v;
  if (result == NULL) return NULL;
  CHECK(napi_create_double(env, size, &v));
  CHECK(napi_set_named_property(env, result, "size", v));
  return result;
}

static napi_value shm_unlink_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[256];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, NULL));
  if (shm_unlink(name) != 0) return throw_errno(env, "unlinking shared memory failed", errno);
  return NULL;
}

// unmap(arrayBuffer, address, size, fd): detach the JS buffer first, so no view can touch
// the unmapped pages, then munmap and close.
static napi_value unmap_js(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  double address, size;
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_detach_arraybuffer(env, argv[0]));
  CHECK(napi_get_value_double(env, argv[1], &address));
  CHECK(napi_get_value_double(env, argv[2], &size));
  CHECK(napi_get_value_int32(env, argv[3], &fd));
  munmap((void*)(uintptr_t)address, (size_t)size);
  if (fd >= 0) close(fd);
  return NULL;
}

// ---------------------------------------------------------------- segment tracker
// Named segments (SharedMemory) outlive a creator that is killed. Like CPython's
// resource_tracker, one small process per family holds the names of live segments and unlinks
// whatever is left once every member of the family has gone, however they ended: it reads a
// pipe whose write end each member holds, and end-of-file means nobody is left. It is forked
// from this (threaded) process, so after fork() it makes only async-signal-safe calls.
#define TRACK_MAX 4096
#define TRACK_NAME 256
static pthread_mutex_t tracker_lock = PTHREAD_MUTEX_INITIALIZER;
static int tracker_wfd = -1;
static int tracker_pid = -1;

static void tracker_main(int rfd, char (*names)[TRACK_NAME]) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = SIG_IGN;
  int ignored[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2};
  for (size_t i = 0; i < sizeof ignored / sizeof ignored[0]; i++) sigaction(ignored[i], &sa, NULL);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  int null = open("/dev/null", O_RDWR);
  dup2(null, 0);
  dup2(null, 1);
  dup2(null, 2);
  dup2(rfd, 3);
  syscall(SYS_close_range, 4, ~0U, 0);
  static const char title[] = "mpts-tracker";
  prctl(PR_SET_NAME, title, 0, 0, 0);
  char buf[8192];
  size_t len = 0;
  for (;;) {
    ssize_t r = read(3, buf + len, sizeof buf - len);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    len += (size_t)r;
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
      if (buf[i] != '\n') continue;
      size_t n = i - start - 1;
      const char* name = buf + start + 1;
      if (n > 0 && n < TRACK_NAME) {
        int slot = -1;
        for (int k = 0; k < TRACK_MAX; k++) {
          if (buf[start] == 'R' && names[k][0] == 0) { slot = k; break; }
          if (buf[start] == 'U' && strncmp(names[k], name, n) == 0 && names[k][n] == 0) { slot = k; break; }
        }
        if (slot >= 0) {
          if (buf[start] == 'R') { memcpy(names[slot], name, n); names[slot][n] = 0; }
          else names[slot][0] = 0;
        }
      }
      start = i + 1;
    }
    memmove(buf, buf + start, len - start);
    len -= start;
    if (len == sizeof buf) len = 0;  // a line longer than any name: drop it
  }
  char path[TRACK_NAME + 16];
  for (int k = 0; k < TRACK_MAX; k++) {
    if (!names[k][0]) continue;
    memcpy(path, "/dev/shm", 8);
    size_t n = strlen(names[k]);
    memcpy(path + 8, names[k], n + 1);  // names begin with '/'
    unlink(path);
  }
  _exit(0);
}

// trackerStart() -> the write end of this process's tracker pipe, forking the tracker if needed
static napi_value tracker_start_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  pthread_mutex_lock(&tracker_lock);
  if (tracker_wfd < 0) {
    int p[2];
    char (*names)[TRACK_NAME] = calloc(TRACK_MAX, TRACK_NAME);
    if (names && pipe2(p, O_CLOEXEC) == 0) {
      pid_t pid = fork();
      if (pid == 0) tracker_main(p[0], names);
      close(p[0]);
      if (pid > 0) { tracker_wfd = p[1]; tracker_pid = pid; }
      else close(p[1]);
    }
    free(names);
  }
  int fd = tracker_wfd;
  pthread_mutex_unlock(&tracker_lock);
  if (fd < 0) return throw_errno(env, "starting the shared-memory tracker failed", errno);
  napi_create_int32(env, fd, &v);
  return v;
}

// trackerAttach(pid, fd) -> joins a parent's tracker through /proc (its pipe's write end), or -1
static napi_value tracker_attach_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], v;
  int32_t pid, fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &pid));
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  pthread_mutex_lock(&tracker_lock);
  if (tracker_wfd < 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
    int w = open(path, O_WRONLY | O_CLOEXEC);
    struct stat st;
    if (w >= 0 && fstat(w, &st) == 0 && S_ISFIFO(st.st_mode)) tracker_wfd = w;
    else if (w >= 0) close(w);
  }
  int out = tracker_wfd;
  pthread_mutex_unlock(&tracker_lock);
  napi_create_int32(env, out, &v);
  return v;
}

// The family arena is mapped once per process and shared by every thread's environment.
static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static void* arena_addr = NULL;
static size_t arena_size = 0;
static int arena_fd = -1;
static double arena_ino = 0;

static napi_value arena_result(napi_env env) {
  napi_value result, v;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "buffer", external_buffer(env, arena_addr, arena_size)));
  CHECK(napi_create_int32(env, arena_fd, &v));
  CHECK(napi_set_named_property(env, result, "fd", v));
  CHECK(napi_create_double(env, arena_ino, &v));
  CHECK(napi_set_named_property(env, result, "ino", v));
  return result;
}

// arena(size) -> the process's arena, or null; arena(size, pid, fd, ino) attaches a parent's.
static napi_value arena_js(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  pthread_mutex_lock(&arena_lock);
  if (arena_addr == NULL && argc >= 1) {
    double size;
    napi_get_value_double(env, argv[0], &size);
    int fd;
    if (argc >= 4) {
      int32_t pid, pfd;
      double ino;
      napi_get_value_int32(env, argv[1], &pid);
      napi_get_value_int32(env, argv[2], &pfd);
      napi_get_value_double(env, argv[3], &ino);
      char path[64];
      snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, pfd);
      fd = open(path, O_RDWR | O_CLOEXEC);
      struct stat st;
      if (fd < 0 || fstat(fd, &st) != 0 || (double)st.st_ino != ino) {
        int err = fd < 0 ? errno : ESTALE;
        if (fd >= 0) close(fd);
        pthread_mutex_unlock(&arena_lock);
        return throw_errno(env, "attaching the parent's shared arena failed", err);
      }
    } else {
      char name[64];
      snprintf(name, sizeof name, "mpts-%d-arena", (int)getpid());
      fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
      if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        int err = errno;
        if (fd >= 0) close(fd);
        pthread_mutex_unlock(&arena_lock);
        return throw_errno(env, "creating the shared arena failed", err);
      }
    }
    void* addr = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) {
      int err = errno;
      close(fd);
      pthread_mutex_unlock(&arena_lock);
      return throw_errno(env, "mapping the shared arena failed", err);
    }
    struct stat st;
    fstat(fd, &st);
    arena_addr = addr;
    arena_size = (size_t)size;
    arena_fd = fd;
    arena_ino = (double)st.st_ino;
  }
  napi_value result;
  if (arena_addr == NULL) napi_get_null(env, &result);
  else result = arena_result(env);
  pthread_mutex_unlock(&arena_lock);
  return result;
}

// arenaReserve(from, to): commit arena pages before use (clean ENOSPC instead of SIGBUS).
static napi_value arena_reserve_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double from, to;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_double(env, argv[0], &from));
  CHECK(napi_get_value_double(env, argv[1], &to));
  int err = posix_fallocate(arena_fd, (off_t)from, (off_t)(to - from));
  if (err != 0 && err != EOPNOTSUPP) return throw_errno(env, "reserving shared arena memory failed", err);
  return NULL;
}

// ---------------------------------------------------------------- futex

static long futex(int32_t* addr, int op, int32_t val, const struct timespec* ts, uint32_t bitset) {
  return syscall(SYS_futex, addr, op, val, ts, NULL, bitset);
}

// wait(view, index, expected, timeoutMs) -> 0 woken, 1 value was not expected, 2 timed out
static napi_value wait_js(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  int32_t expected;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* addr = word_at(env, argv[0], argv[1]);
  if (addr == NULL) return NULL;
  CHECK(napi_get_value_int32(env, argv[2], &expected));
  int64_t deadline = deadline_of(env, argv[3]);
  int result;
  for (;;) {
    struct timespec ts = ts_of(deadline);
    long r = futex(addr, FUTEX_WAIT_BITSET, expected, deadline < 0 ? NULL : &ts, FUTEX_BITSET_MATCH_ANY);
    if (r == 0) { result = 0; break; }
    if (errno == EAGAIN) { result = 1; break; }
    if (errno == ETIMEDOUT) { result = 2; break; }
    if (errno != EINTR) return throw_errno(env, "futex wait failed", errno);
  }
  napi_value out;
  CHECK(napi_create_int32(env, result, &out));
  return out;
}

// wake(view, index, count) -> number of sleepers woken
static napi_value wake_js(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  int32_t count;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* addr = word_at(env, argv[0], argv[1]);
  if (addr == NULL) return NULL;
  CHECK(napi_get_value_int32(env, argv[2], &count));
  long r = futex(addr, FUTEX_WAKE, count, NULL, 0);
  napi_value out;
  CHECK(napi_create_int32(env, (int32_t)(r < 0 ? 0 : r), &out));
  return out;
}

// ---------------------------------------------------------------- asynchronous waits

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
      int64_t soon = now_ns() + 1000000;
      if (deadline < 0 || soon < deadline) deadline = soon;
    }
    pthread_mutex_unlock(&s->lock);
    struct timespec ts = ts_of(deadline);
    long r = syscall(SYS_futex_waitv, wv, n, 0, deadline < 0 ? NULL : &ts, CLOCK_MONOTONIC);
    int woken = r >= 1 ? (int)r : -1;
    pthread_mutex_lock(&s->lock);
    int64_t now = now_ns();
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
  futex(&s->ctl, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, 0);
  pthread_mutex_unlock(&s->lock);
  pthread_join(s->thread, NULL);
  s->started = 0;
}

static AsyncState* async_state(napi_env env) {
  AsyncState* s = NULL;
  napi_get_instance_data(env, (void**)&s);
  return s;
}

// waitAsync(view, index, expected, timeoutMs) -> Promise<0 | 1 | 2>, like wait().
static napi_value wait_async_js(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  int32_t expected;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t* addr = word_at(env, argv[0], argv[1]);
  if (addr == NULL) return NULL;
  CHECK(napi_get_value_int32(env, argv[2], &expected));
  int64_t deadline = deadline_of(env, argv[3]);
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
    if (pthread_create(&s->thread, NULL, helper_main, s) != 0) return throw_errno(env, "starting the wait thread failed", errno);
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
  futex(&s->ctl, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 1, NULL, 0);
  pthread_mutex_unlock(&s->lock);
  return promise;
}

// ---------------------------------------------------------------- processes

// A pidfd is opened when a child starts and held until Node reports its exit. libuv reaps
// children on its own schedule (several in one batch, calling back into JS between them), so a
// synchronous join can find its child already reaped but not yet reported. The held pidfd
// still answers then: since Linux 6.15 PIDFD_GET_INFO returns the exit status of a reaped task.
struct mpts_pidfd_info {
  uint64_t mask, cgroupid;
  uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
  int32_t exit_code;
};
#define MPTS_PIDFD_GET_INFO _IOWR(0xFF, 11, struct mpts_pidfd_info)
#define MPTS_PIDFD_INFO_EXIT (1ULL << 3)

// pidOpen(pid) -> fd, or -1 when pidfds are unavailable
static napi_value pid_open_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], v;
  int32_t pid;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &pid));
  int fd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (fd >= 0) fcntl(fd, F_SETFD, FD_CLOEXEC);
  napi_create_int32(env, fd < 0 ? -1 : fd, &v);
  return v;
}

// pidClose(fd)
static napi_value pid_close_js(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &fd));
  if (fd >= 0) close(fd);
  return NULL;
}

static napi_value status_result(napi_env env, int exited, int status) {
  napi_value result, v;
  CHECK(napi_create_object(env, &result));
  napi_create_int32(env, status, &v);
  napi_set_named_property(env, result, exited ? "code" : "signal", v);
  return result;
}

// pidWait(pidfd, timeoutMs) -> null (still running) | { code } | { signal } | { reaped: true }
// Waits without reaping (WNOWAIT), so libuv still reaps the child and emits 'exit'.
static napi_value pid_wait_js(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t pfd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &pfd));
  int64_t deadline = deadline_of(env, argv[1]);
  napi_value result, v;
  for (;;) {
    int ms = -1;
    if (deadline >= 0) {
      int64_t left = deadline - now_ns();
      ms = left <= 0 ? 0 : (int)((left + 999999) / 1000000);
    }
    int r = poll(&(struct pollfd){pfd, POLLIN, 0}, 1, ms);
    if (r < 0 && errno == EINTR) continue;
    if (r == 0) {
      napi_get_null(env, &result);
      return result;
    }
    break;
  }
  siginfo_t si;
  memset(&si, 0, sizeof si);
  if (waitid((idtype_t)P_PIDFD, (id_t)pfd, &si, WEXITED | WNOWAIT) == 0)
    return status_result(env, si.si_code == CLD_EXITED, si.si_status);
  struct mpts_pidfd_info pi;
  memset(&pi, 0, sizeof pi);
  pi.mask = MPTS_PIDFD_INFO_EXIT;
  if (ioctl(pfd, MPTS_PIDFD_GET_INFO, &pi) == 0 && (pi.mask & MPTS_PIDFD_INFO_EXIT)) {
    int st = pi.exit_code;
    if (WIFEXITED(st)) return status_result(env, 1, WEXITSTATUS(st));
    if (WIFSIGNALED(st)) return status_result(env, 0, WTERMSIG(st));
  }
  CHECK(napi_create_object(env, &result));
  napi_get_boolean(env, true, &v);
  napi_set_named_property(env, result, "reaped", v);
  return result;
}

static napi_value gettid_js(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_int32(env, (int32_t)syscall(SYS_gettid), &v);
  return v;
}

// ---------------------------------------------------------------- module

static void free_state(napi_env env, void* data, void* hint) {
  (void)env; (void)hint;
  AsyncState* s = data;
  stop_helper(s);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

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
  AsyncState* s = calloc(1, sizeof(AsyncState));
  pthread_mutex_init(&s->lock, NULL);
  napi_set_instance_data(env, s, free_state, NULL);
  napi_property_descriptor props[] = {
      {"memfdCreate", NULL, memfd_create_js, NULL, NULL, NULL, napi_default, NULL},
      {"memfdOpen", NULL, memfd_open_js, NULL, NULL, NULL, napi_default, NULL},
      {"shmOpen", NULL, shm_open_js, NULL, NULL, NULL, napi_default, NULL},
      {"shmUnlink", NULL, shm_unlink_js, NULL, NULL, NULL, napi_default, NULL},
      {"unmap", NULL, unmap_js, NULL, NULL, NULL, napi_default, NULL},
      {"trackerStart", NULL, tracker_start_js, NULL, NULL, NULL, napi_default, NULL},
      {"trackerAttach", NULL, tracker_attach_js, NULL, NULL, NULL, napi_default, NULL},
      {"arena", NULL, arena_js, NULL, NULL, NULL, napi_default, NULL},
      {"arenaReserve", NULL, arena_reserve_js, NULL, NULL, NULL, napi_default, NULL},
      {"wait", NULL, wait_js, NULL, NULL, NULL, napi_default, NULL},
      {"wake", NULL, wake_js, NULL, NULL, NULL, napi_default, NULL},
      {"waitAsync", NULL, wait_async_js, NULL, NULL, NULL, napi_default, NULL},
      {"pidOpen", NULL, pid_open_js, NULL, NULL, NULL, napi_default, NULL},
      {"pidClose", NULL, pid_close_js, NULL, NULL, NULL, napi_default, NULL},
      {"pidWait", NULL, pid_wait_js, NULL, NULL, NULL, napi_default, NULL},
      {"gettid", NULL, gettid_js, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
