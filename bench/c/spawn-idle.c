/*
 * spawn-idle: raise the host's process count for the benchmark, then reap everything on request.
 *
 *   spawn-idle COUNT [CANDIDATES]
 *
 * Starts COUNT idle children (each blocks in pause()): clone(CLONE_VM) children sharing this
 * program's memory, separate processes in /proc, each with its own comm, fd table and signal state,
 * but one address space. (Forked children would share their copy-on-write pages through 10,000
 * mappings, and a kernel that samples page accesses through reverse mappings, DAMON, then burns half
 * a CPU while they exist: noise for the benchmark, not a cost of the scan.) The first CANDIDATES of them rename their comm
 * to "containerd-shim", so that a procfs scan takes its full candidate path (stat, status, cmdline,
 * exe, fd) for them; their exe stays this binary, so an exporter never mistakes them for real shims.
 * The others are named "bench-idle".
 *
 * Prints {"event":"ready","pid":P,"children":N} once all children exist, {"event":"reaped","children":N}
 * once all were killed and waited for. It reaps on a line or EOF on stdin, SIGTERM, SIGINT, SIGHUP or
 * the death of its parent (PR_SET_PDEATHSIG). SIGKILLed, its children die with it (theirs is SIGKILL).
 * It leads its own process group, so that the bench can count what is left of it.
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
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct child_args {
  pid_t parent;
  int nullfd;
  int candidate;
};

/* Small: a child only runs child_main (a few libc wrappers around system calls). */
#define CHILD_STACK (64 * 1024)

static void child_main(pid_t parent, int nullfd, int candidate) {
  /* Die with the parent, whatever kills it; re-check the parent in case it died before prctl. */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGINT, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  prctl(PR_SET_NAME, candidate ? "containerd-shim" : "bench-idle");
  /* Hold none of the parent's files open (the bench waits for its pipes' EOF), like a daemon would. */
  dup2(nullfd, 0);
  dup2(nullfd, 1);
  dup2(nullfd, 2);
  close_range(3, ~0U, 0);
  for (;;) pause();
}

static int clone_child(void *p) {
  const struct child_args *a = p;
  child_main(a->parent, a->nullfd, a->candidate);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s COUNT [CANDIDATES]\n", argv[0]);
    return 2;
  }
  long count = strtol(argv[1], NULL, 10);
  long candidates = argc > 2 ? strtol(argv[2], NULL, 10) : 0;
  if (count < 0 || count > 1000000 || candidates < 0) {
    fprintf(stderr, "spawn-idle: bad COUNT or CANDIDATES\n");
    return 2;
  }
  pid_t self = getpid();
  /* Reap (via the signalfd below) when the process that started us dies. */
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  setpgid(0, 0);

  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGTERM);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGHUP);
  sigaddset(&stops, SIGPIPE);
  sigprocmask(SIG_BLOCK, &stops, NULL);
  int sfd = signalfd(-1, &stops, SFD_CLOEXEC);
  if (sfd < 0) {
    perror("spawn-idle: signalfd");
    return 1;
  }
  int nullfd = open("/dev/null", O_RDWR);
  if (nullfd < 0) {
    perror("spawn-idle: /dev/null");
    return 1;
  }

  pid_t *pids = calloc((size_t)(count > 0 ? count : 1), sizeof(pid_t));
  if (!pids) {
    perror("spawn-idle: calloc");
    return 1;
  }
  long started = 0;
  int failed = 0;
  struct child_args args[2] = {{self, nullfd, 0}, {self, nullfd, 1}};
  for (; started < count; started++) {
    /* Stacks stay allocated until exit: the children use them until they are killed. */
    char *stack = malloc(CHILD_STACK);
    pid_t p = stack ? clone(clone_child, stack + CHILD_STACK, CLONE_VM | SIGCHLD, &args[started < candidates]) : -1;
    if (p < 0) {
      fprintf(stderr, "spawn-idle: clone failed after %ld children: %s\n", started, strerror(errno));
      failed = 1;
      break;
    }
    pids[started] = p;
  }
  close(nullfd);

  if (!failed) {
    printf("{\"event\":\"ready\",\"pid\":%d,\"children\":%ld}\n", (int)self, started);
    fflush(stdout);
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
    for (;;) {
      int r = poll(fds, 2, -1);
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) break;
      /* Any input, EOF, hang-up or error on stdin, or any of the blocked signals: stop. */
      if (fds[0].revents || fds[1].revents) break;
    }
  }

  for (long i = 0; i < started; i++) kill(pids[i], SIGKILL);
  long reaped = 0;
  for (long i = 0; i < started; i++) {
    while (waitpid(pids[i], NULL, 0) < 0) {
      if (errno != EINTR) break;
    }
    reaped++;
  }
  /* Anything else that ended up as our child (none expected). */
  while (waitpid(-1, NULL, WNOHANG) > 0) reaped++;
  printf("{\"event\":\"reaped\",\"children\":%ld}\n", reaped);
  fflush(stdout);
  free(pids);
  return failed ? 1 : 0;
}
