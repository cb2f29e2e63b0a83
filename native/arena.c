// The family arena: the memory every primitive (locks, queues, pools) lives in. One memfd
// (anonymous, CLOEXEC, named "mpts-<pid>-arena") mapped MAP_SHARED, once per process and shared
// by every thread's environment; a child process of the family opens its parent's through
// /proc/<pid>/fd/<fd>, checked by inode. Nothing is ever placed in /dev/shm, so a SIGKILLed
// family leaves nothing behind. Pages are committed (arenaReserve) as the JS allocator hands
// them out, so a full memory is a clean ENOSPC, never a SIGBUS.
#include "mpts.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

static pthread_mutex_t arena_lock = PTHREAD_MUTEX_INITIALIZER;
static void* arena_addr = NULL;
static size_t arena_size = 0;
static int arena_fd = -1;
static double arena_ino = 0;

static napi_value arena_result(napi_env env) {
  napi_value result, v;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "buffer", mpts_unaccounted_buffer(env, arena_addr, arena_size)));
  CHECK(napi_create_int32(env, arena_fd, &v));
  CHECK(napi_set_named_property(env, result, "fd", v));
  CHECK(napi_create_double(env, arena_ino, &v));
  CHECK(napi_set_named_property(env, result, "ino", v));
  return result;
}

// arena(size) -> the process's arena, or null; arena(size, pid, fd, ino) attaches a parent's.
napi_value mpts_arena(napi_env env, napi_callback_info info) {
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
      fd = mpts_open_proc_fd(pid, pfd, O_RDWR);
      struct stat st;
      if (fd < 0 || fstat(fd, &st) != 0 || (double)st.st_ino != ino) {
        int err = fd < 0 ? errno : ESTALE;
        if (fd >= 0) close(fd);
        pthread_mutex_unlock(&arena_lock);
        return mpts_throw_errno(env, "attaching the parent's shared arena failed", err);
      }
    } else {
      char name[64];
      snprintf(name, sizeof name, "mpts-%d-arena", (int)getpid());
      fd = (int)syscall(SYS_memfd_create, name, MFD_CLOEXEC);
      if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        int err = errno;
        if (fd >= 0) close(fd);
        pthread_mutex_unlock(&arena_lock);
        return mpts_throw_errno(env, "creating the shared arena failed", err);
      }
    }
    void* addr = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (addr == MAP_FAILED) {
      int err = errno;
      close(fd);
      pthread_mutex_unlock(&arena_lock);
      return mpts_throw_errno(env, "mapping the shared arena failed", err);
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
napi_value mpts_arena_reserve(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  double from, to;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_double(env, argv[0], &from));
  CHECK(napi_get_value_double(env, argv[1], &to));
  int err = posix_fallocate(arena_fd, (off_t)from, (off_t)(to - from));
  if (err != 0 && err != EOPNOTSUPP) return mpts_throw_errno(env, "reserving shared arena memory failed", err);
  return NULL;
}
