/*
 * spawn-idle COUNT [CANDIDATES]: raises the host's process count for the bench, then reaps on request.
 * Its COUNT children block in pause(). They are clone(CLONE_VM) children: separate processes in /proc
 * but one address space. (Forked children would share copy-on-write pages through 10,000 mappings,
 * and a kernel sampling page accesses through reverse mappings, DAMON, then burns half a CPU: noise,
 * not a cost of the scan.) The first CANDIDATES are named containerd-shim, so that a procfs scan takes
 * its full candidate path for them; their exe stays this binary, so no exporter mistakes them for
 * real shims. The others are named bench-idle.
 * Prints {"event":"ready","pid":P,"children":N} once all exist, {"event":"reaped","children":N} once
 * all were killed and waited for: on a line or EOF on stdin, SIGTERM, SIGINT, SIGHUP or its parent's
 * death. SIGKILLed, its children die with it (their PR_SET_PDEATHSIG). It leads its own process
 * group, so that the bench can count what is left of it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILD_STACK (64 * 1024) /* a child only calls a few libc wrappers */

struct child_args {
  pid_t parent;
  int nullfd, candidate;
};

static int child_main(void *p) {
  const struct child_args *a = p;
  /* Die with the parent; re-check it in case it died before prctl. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != a->parent) _exit(0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  prctl(PR_SET_NAME, a->candidate ? "containerd-shim" : "bench-idle");
  /* Hold none of the parent's files open: the bench waits for its pipes' EOF. */
  for (int fd = 0; fd < 3; fd++) dup2(a->nullfd, fd);
  close_range(3, ~0U, 0);
  for (;;) pause();
}

int main(int argc, char **argv) {
  long count = argc > 1 ? strtol(argv[1], NULL, 10) : -1, candidates = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  if (count < 0 || count > 1000000 || candidates < 0) {
    fprintf(stderr, "usage: %s COUNT(0..1000000) [CANDIDATES]\n", argv[0]);
    return 2;
  }
  prctl(PR_SET_PDEATHSIG, SIGTERM); /* reaps (via the signalfd) when the bench dies */
  setpgid(0, 0);
  sigset_t stops;
  sigemptyset(&stops);
  for (int s = 0; s < 4; s++) sigaddset(&stops, (int[]){SIGTERM, SIGINT, SIGHUP, SIGPIPE}[s]);
  sigprocmask(SIG_BLOCK, &stops, NULL);
  int sfd = signalfd(-1, &stops, SFD_CLOEXEC), nullfd = open("/dev/null", O_RDWR);
  pid_t *pids = calloc((size_t)count + 1, sizeof(pid_t));
  if (sfd < 0 || nullfd < 0 || !pids) {
    perror("spawn-idle");
    return 1;
  }
  long started = 0;
  struct child_args args[2] = {{getpid(), nullfd, 0}, {getpid(), nullfd, 1}};
  for (; started < count; started++) {
    char *stack = malloc(CHILD_STACK); /* used until the child is killed: never freed */
    pids[started] = stack ? clone(child_main, stack + CHILD_STACK, CLONE_VM | SIGCHLD, &args[started < candidates]) : -1;
    if (pids[started] < 0) {
      fprintf(stderr, "spawn-idle: clone failed after %ld children: %s\n", started, strerror(errno));
      break;
    }
  }
  close(nullfd);
  int failed = started < count;
  if (!failed) {
    printf("{\"event\":\"ready\",\"pid\":%d,\"children\":%ld}\n", (int)getpid(), started);
    fflush(stdout);
    /* Any input, EOF, hang-up or error on stdin, or any of the blocked signals: stop. */
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    while (poll(fds, 2, -1) < 0 && errno == EINTR) {
    }
  }
  for (long i = 0; i < started; i++) kill(pids[i], SIGKILL);
  long reaped = 0;
  for (long i = 0; i < started; i++, reaped++)
    while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR) {
    }
  while (waitpid(-1, NULL, WNOHANG) > 0) reaped++; /* anything else that became our child */
  printf("{\"event\":\"reaped\",\"children\":%ld}\n", reaped);
  fflush(stdout);
  free(pids);
  return failed;
}
