// Joining a child process with a timeout, and the OS thread id. pidfd_open + poll +
// waitid(WNOWAIT): a synchronous join with a timeout that leaves reaping to libuv, so Node still
// emits the child's 'exit'. gettid() names this thread across every process of the machine
// (the owner of a lock, the pid a 'thread' child shows).
#include "mpts.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

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
napi_value mpts_pid_open(napi_env env, napi_callback_info info) {
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
napi_value mpts_pid_close(napi_env env, napi_callback_info info) {
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
napi_value mpts_pid_wait(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t pfd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &pfd));
  int64_t deadline = mpts_deadline_of(env, argv[1]);
  napi_value result, v;
  for (;;) {
    int ms = -1;
    if (deadline >= 0) {
      int64_t left = deadline - mpts_now_ns();
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

napi_value mpts_gettid(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  napi_create_int32(env, (int32_t)syscall(SYS_gettid), &v);
  return v;
}
