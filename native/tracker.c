// The segment tracker. Named segments (SharedMemory, segments.c) outlive a creator that is
// killed. Like CPython's resource_tracker, one small process per family holds the names of
// live segments and unlinks whatever is left once every member of the family has gone, however
// they ended: it reads a pipe whose write end each member holds, and end-of-file means nobody
// is left. It is forked from this (threaded) process, so after fork() it makes only
// async-signal-safe calls. The protocol on the pipe is one line per change: "R/name\n"
// registers, "U/name\n" unregisters (src/shared/tracker.ts writes them).
#include "mpts.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#define TRACK_MAX 4096
#define TRACK_NAME 256
static pthread_mutex_t tracker_lock = PTHREAD_MUTEX_INITIALIZER;
static int tracker_wfd = -1;

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
napi_value mpts_tracker_start(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value v;
  int err = 0;
  pthread_mutex_lock(&tracker_lock);
  if (tracker_wfd < 0) {
    int p[2];
    // Allocated before fork(): the tracker must not call malloc.
    char (*names)[TRACK_NAME] = calloc(TRACK_MAX, TRACK_NAME);
    if (names == NULL) err = ENOMEM;
    else if (pipe2(p, O_CLOEXEC) != 0) err = errno;
    else {
      pid_t pid = fork();
      if (pid == 0) tracker_main(p[0], names);
      if (pid < 0) err = errno;
      close(p[0]);
      if (pid > 0) tracker_wfd = p[1];
      else close(p[1]);
    }
    free(names);
  }
  int fd = tracker_wfd;
  pthread_mutex_unlock(&tracker_lock);
  if (fd < 0) return mpts_throw_errno(env, "starting the shared-memory tracker failed", err);
  napi_create_int32(env, fd, &v);
  return v;
}

// trackerAttach(pid, fd) -> joins a parent's tracker through /proc (its pipe's write end), or -1
napi_value mpts_tracker_attach(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], v;
  int32_t pid, fd;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_int32(env, argv[0], &pid));
  CHECK(napi_get_value_int32(env, argv[1], &fd));
  pthread_mutex_lock(&tracker_lock);
  if (tracker_wfd < 0) {
    int w = mpts_open_proc_fd(pid, fd, O_WRONLY);
    struct stat st;
    if (w >= 0 && fstat(w, &st) == 0 && S_ISFIFO(st.st_mode)) tracker_wfd = w;
    else if (w >= 0) close(w);
  }
  int out = tracker_wfd;
  pthread_mutex_unlock(&tracker_lock);
  napi_create_int32(env, out, &v);
  return v;
}
