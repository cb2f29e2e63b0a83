// Named segments: POSIX shm_open memory for SharedMemory, which unrelated processes attach by
// name (the family's own memory is the arena, arena.c, which leaves nothing in /dev/shm). A
// name outlives a creator that is killed, so src/shared/ also hands each name to the segment
// tracker (tracker.c). unmap() is how a segment's memory goes away, never the GC.
#include "mpts.h"
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

// Reserve the pages now so that a full tmpfs is a clean error here and never a SIGBUS later.
static int reserve(int fd, size_t size) {
  if (ftruncate(fd, (off_t)size) != 0) return errno;
  int err = posix_fallocate(fd, 0, (off_t)size);
  return err == EOPNOTSUPP || err == EINVAL ? 0 : err;
}

// Maps the segment behind fd (closing fd if that fails) -> { buffer, fd, ino, address }
static napi_value map_fd(napi_env env, int fd, size_t size) {
  void* addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (addr == MAP_FAILED) {
    int err = errno;
    close(fd);
    return mpts_throw_errno(env, "mmap of a shared segment failed", err);
  }
  struct stat st;
  fstat(fd, &st);
  napi_value result, v;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_set_named_property(env, result, "buffer", mpts_unaccounted_buffer(env, addr, size)));
  CHECK(napi_create_int32(env, fd, &v));
  CHECK(napi_set_named_property(env, result, "fd", v));
  CHECK(napi_create_double(env, (double)st.st_ino, &v));
  CHECK(napi_set_named_property(env, result, "ino", v));
  CHECK(napi_create_double(env, (double)(uintptr_t)addr, &v));
  CHECK(napi_set_named_property(env, result, "address", v));
  return result;
}

// shmOpen(name, create, size) -> { buffer, fd, ino, address, size }: POSIX named shared memory.
napi_value mpts_shm_open(napi_env env, napi_callback_info info) {
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
  if (fd < 0) return mpts_throw_errno(env, create ? "creating shared memory failed" : "opening shared memory failed", errno);
  fcntl(fd, F_SETFD, FD_CLOEXEC);
  if (create) {
    // A request beyond what the tmpfs has left fails at once, before fallocate fills memory.
    struct statvfs sv;
    int err = fstatvfs(fd, &sv) == 0 && size > (double)sv.f_bavail * (double)sv.f_frsize ? ENOSPC : 0;
    if (!err) err = reserve(fd, (size_t)size);
    if (err) {
      close(fd);
      shm_unlink(name);
      return mpts_throw_errno(env, "creating shared memory failed", err);
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
  napi_value result = map_fd(env, fd, (size_t)size), v;
  if (result == NULL) return NULL;
  CHECK(napi_create_double(env, size, &v));
  CHECK(napi_set_named_property(env, result, "size", v));
  return result;
}

napi_value mpts_shm_unlink(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char name[256];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], name, sizeof name, NULL));
  if (shm_unlink(name) != 0) return mpts_throw_errno(env, "unlinking shared memory failed", errno);
  return NULL;
}

// unmap(arrayBuffer, address, size, fd): detach the JS buffer first, so no view can touch
// the unmapped pages, then munmap and close.
napi_value mpts_unmap(napi_env env, napi_callback_info info) {
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
