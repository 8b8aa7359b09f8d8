/*
 * scan-floor: the floor for the exporter's procfs scan. It does the same reads as
 * src/sources/procfs/scan-procfs.ts, the way a plain C program would (open+read+close by path):
 *
 *   readdir(PROCFS); for every numeric entry: read PROCFS/<pid>/comm;
 *   for candidate comms (dockerd, containerd, containerd-shim, runc, docker-proxy, docker-init):
 *     read stat, status, cmdline; readlink exe; count the entries of fd/.
 *   once per scan: read PROCFS/uptime and the dockerd pidfile (when given).
 *
 *   scan-floor [--iterations N] [--warmup W] [--procfs PATH] [--pidfile PATH]
 *
 * Prints one JSON line: iterations, pids and candidates of the last scan, a checksum of the bytes read
 * (so nothing is optimised away), samples_us (every scan's wall time, in the order they ran) and
 * cpu_samples_us (the CPU time, user + system, of each scan, which background load inflates far less).
 * The bench computes the percentiles.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const CANDIDATES[] = {"dockerd", "containerd", "containerd-shim", "runc", "docker-proxy",
                                         "docker-init"};

static char buf[65536];
static unsigned long checksum;

/* open + read (until EOF or the buffer is full) + close; returns bytes read or -1. */
static ssize_t read_file(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t total = 0;
  for (;;) {
    ssize_t n = read(fd, buf + total, sizeof(buf) - 1 - (size_t)total);
    if (n <= 0) break;
    total += n;
    if ((size_t)total >= sizeof(buf) - 1) break;
  }
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

static int count_dir(const char *path) {
  DIR *d = opendir(path);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' && (e->d_name[1] == 0 || (e->d_name[1] == '.' && e->d_name[2] == 0))) continue;
    n++;
  }
  closedir(d);
  return n;
}

struct scan_result {
  long pids;
  long candidates;
};

static struct scan_result scan(const char *procfs, const char *pidfile) {
  struct scan_result r = {0, 0};
  char path[4096];
  char comm[64];
  snprintf(path, sizeof(path), "%s/uptime", procfs);
  read_file(path);
  if (pidfile) read_file(pidfile);
  DIR *d = opendir(procfs);
  if (!d) return r;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *name = e->d_name;
    if (name[0] < '0' || name[0] > '9') continue;
    r.pids++;
    snprintf(path, sizeof(path), "%s/%s/comm", procfs, name);
    ssize_t n = read_file(path);
    if (n <= 0) continue; /* vanished */
    if (buf[n - 1] == '\n') buf[n - 1] = 0;
    strncpy(comm, buf, sizeof(comm) - 1);
    comm[sizeof(comm) - 1] = 0;
    if (!is_candidate(comm)) continue;
    r.candidates++;
    snprintf(path, sizeof(path), "%s/%s/stat", procfs, name);
    read_file(path);
    snprintf(path, sizeof(path), "%s/%s/status", procfs, name);
    read_file(path);
    snprintf(path, sizeof(path), "%s/%s/cmdline", procfs, name);
    read_file(path);
    snprintf(path, sizeof(path), "%s/%s/exe", procfs, name);
    ssize_t l = readlink(path, buf, sizeof(buf) - 1);
    if (l > 0) checksum += (unsigned long)l;
    snprintf(path, sizeof(path), "%s/%s/fd", procfs, name);
    int fds = count_dir(path);
    if (fds > 0) checksum += (unsigned long)fds;
  }
  closedir(d);
  return r;
}

static double clock_us(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  int iterations = 30, warmup = 3;
  const char *procfs = "/proc";
  const char *pidfile = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--iterations") == 0 && i + 1 < argc) iterations = atoi(argv[++i]);
    else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc) warmup = atoi(argv[++i]);
    else if (strcmp(argv[i], "--procfs") == 0 && i + 1 < argc) procfs = argv[++i];
    else if (strcmp(argv[i], "--pidfile") == 0 && i + 1 < argc) pidfile = argv[++i];
    else {
      fprintf(stderr, "usage: %s [--iterations N] [--warmup W] [--procfs PATH] [--pidfile PATH]\n", argv[0]);
      return 2;
    }
  }
  if (iterations < 1 || iterations > 100000 || warmup < 0) {
    fprintf(stderr, "scan-floor: bad --iterations or --warmup\n");
    return 2;
  }
  double *wall = calloc((size_t)iterations, sizeof(double));
  double *cpu = calloc((size_t)iterations, sizeof(double));
  if (!wall || !cpu) return 1;
  struct scan_result last = {0, 0};
  for (int i = 0; i < warmup; i++) last = scan(procfs, pidfile);
  for (int i = 0; i < iterations; i++) {
    double c0 = clock_us(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = clock_us(CLOCK_MONOTONIC);
    last = scan(procfs, pidfile);
    wall[i] = clock_us(CLOCK_MONOTONIC) - t0;
    cpu[i] = clock_us(CLOCK_PROCESS_CPUTIME_ID) - c0;
  }
  printf("{\"iterations\":%d,\"pids\":%ld,\"candidates\":%ld,\"checksum\":%lu,\"samples_us\":[", iterations, last.pids,
         last.candidates, checksum);
  for (int i = 0; i < iterations; i++) printf("%s%.1f", i ? "," : "", wall[i]);
  printf("],\"cpu_samples_us\":[");
  for (int i = 0; i < iterations; i++) printf("%s%.1f", i ? "," : "", cpu[i]);
  printf("]}\n");
  free(wall);
  free(cpu);
  return 0;
}
