/*
 * scan-floor ITERATIONS WARMUP: the floor for the exporter's procfs scan, the same reads as
 * src/sources/procfs/scan-procfs.ts done the plain C way (open+read+close by path): /proc/uptime, then
 * every numeric entry's comm; for candidate comms also stat, status, cmdline, the exe link and fd/.
 * Prints one JSON line: pids and candidates of the last scan, a checksum of the bytes read (so nothing
 * is optimised away), and each scan's wall and CPU time (user + system: background load inflates it
 * far less). The bench computes the percentiles.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const CANDIDATES[] = {"dockerd", "containerd", "containerd-shim", "runc", "docker-proxy", "docker-init"};
static char buf[65536];
static unsigned long checksum;
static long pids, candidates;

/* open + read until EOF or a full buffer + close; bytes read or -1. */
static ssize_t read_file(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t total = 0, n;
  while ((size_t)total < sizeof(buf) - 1 && (n = read(fd, buf + total, sizeof(buf) - 1 - (size_t)total)) > 0) total += n;
  close(fd);
  buf[total] = 0;
  if (total > 0) checksum += (unsigned char)buf[0] + (unsigned long)total;
  return total;
}

static int is_candidate(const char *comm) {
  for (size_t i = 0; i < sizeof(CANDIDATES) / sizeof(CANDIDATES[0]); i++)
    if (strcmp(comm, CANDIDATES[i]) == 0) return 1;
  return 0;
}

static void scan(void) {
  char path[512];
  pids = candidates = 0;
  read_file("/proc/uptime");
  DIR *d = opendir("/proc");
  if (!d) return;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    const char *pid = e->d_name;
    if (pid[0] < '0' || pid[0] > '9') continue;
    pids++;
    snprintf(path, sizeof(path), "/proc/%s/comm", pid);
    ssize_t n = read_file(path);
    if (n <= 0) continue; /* vanished */
    if (buf[n - 1] == '\n') buf[n - 1] = 0;
    if (!is_candidate(buf)) continue;
    candidates++;
    static const char *const FILES[] = {"stat", "status", "cmdline"};
    for (int i = 0; i < 3; i++) {
      snprintf(path, sizeof(path), "/proc/%s/%s", pid, FILES[i]);
      read_file(path);
    }
    snprintf(path, sizeof(path), "/proc/%s/exe", pid);
    ssize_t l = readlink(path, buf, sizeof(buf) - 1);
    if (l > 0) checksum += (unsigned long)l;
    snprintf(path, sizeof(path), "/proc/%s/fd", pid);
    DIR *fds = opendir(path);
    if (!fds) continue;
    while (readdir(fds) != NULL) checksum++;
    closedir(fds);
  }
  closedir(d);
}

static double clock_us(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  int iterations = argc == 3 ? atoi(argv[1]) : 0, warmup = argc == 3 ? atoi(argv[2]) : -1;
  if (iterations < 1 || iterations > 100000 || warmup < 0) {
    fprintf(stderr, "usage: %s ITERATIONS(1..100000) WARMUP\n", argv[0]);
    return 2;
  }
  double *wall = calloc((size_t)iterations * 2, sizeof(double)), *cpu = wall + iterations;
  if (!wall) return 1;
  for (int i = 0; i < warmup; i++) scan();
  for (int i = 0; i < iterations; i++) {
    double c0 = clock_us(CLOCK_PROCESS_CPUTIME_ID), t0 = clock_us(CLOCK_MONOTONIC);
    scan();
    wall[i] = clock_us(CLOCK_MONOTONIC) - t0;
    cpu[i] = clock_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
  }
  printf("{\"pids\":%ld,\"candidates\":%ld,\"checksum\":%lu,\"samples_us\":[", pids, candidates, checksum);
  for (int i = 0; i < iterations; i++) printf("%s%.1f", i ? "," : "", wall[i]);
  printf("],\"cpu_samples_us\":[");
  for (int i = 0; i < iterations; i++) printf("%s%.1f", i ? "," : "", cpu[i]);
  printf("]}\n");
  free(wall);
  return 0;
}
