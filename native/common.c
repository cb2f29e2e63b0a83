// The helpers every subsystem of the native core uses: errors thrown to JS with the errno's
// name as their code, the checks on a futex word's arguments, deadlines, and the one way to
// open another process's descriptor (/proc/<pid>/fd/<n>), which the arena and the segment
// tracker attach through.
#include "mpts.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

napi_value mpts_throw_errno(napi_env env, const char* what, int err) {
  char msg[512];
  const char* code = err == ENOSPC ? "ENOSPC" : err == ENOENT ? "ENOENT" : err == EEXIST ? "EEXIST" : "ESYSCALL";
  if (err == ENOSPC)
    snprintf(msg, sizeof msg, "%s: no space left for shared memory (%s); free /dev/shm or memory, or ask for a smaller size", what, strerror(err));
  else
    snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, code, msg);
  return NULL;
}

int32_t* mpts_word_at(napi_env env, napi_value view, napi_value index) {
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

int64_t mpts_deadline_of(napi_env env, napi_value ms) {
  double t;
  napi_get_value_double(env, ms, &t);
  if (!(t >= 0) || t > 1e15) return -1;
  return mpts_now_ns() + (int64_t)(t * 1e6);
}

int mpts_open_proc_fd(int pid, int fd, int flags) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd/%d", pid, fd);
  return open(path, flags | O_CLOEXEC);
}
