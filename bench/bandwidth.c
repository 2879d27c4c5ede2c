/*
 * Memory read-bandwidth probe for `npm run bench:local`.
 *
 * Decoding one token of a dense model reads (almost) every weight once, so
 * read bandwidth divided by the bytes read per token bounds decode tokens/s.
 * This program measures that bandwidth: N threads each sum their own slice of
 * a buffer much larger than the caches; the best of several passes counts.
 *
 * Usage:  bandwidth <threads> <megabytes> <passes>
 * Output: one JSON line on stdout.
 *
 * The sum of every pass is accumulated and printed, so the compiler cannot
 * drop the reads.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

/* 64-byte vectors: one cache line; the compiler picks the widest registers -march allows. */
typedef uint64_t lane_vector __attribute__((vector_size(64)));

typedef struct {
  const lane_vector *start;
  size_t count; /* vectors in this thread's slice */
  pthread_barrier_t *begin;
  pthread_barrier_t *end;
  int passes;
  uint64_t sum;
} worker_state;

static double now_seconds(void) {
  struct timespec time;
  clock_gettime(CLOCK_MONOTONIC, &time);
  return (double)time.tv_sec + (double)time.tv_nsec * 1e-9;
}

static uint64_t sum_slice(const lane_vector *data, size_t count) {
  lane_vector a = {0}, b = {0}, c = {0}, d = {0};
  size_t index = 0;
  for (; index + 4 <= count; index += 4) {
    a += data[index];
    b += data[index + 1];
    c += data[index + 2];
    d += data[index + 3];
  }
  for (; index < count; index++) a += data[index];
  lane_vector total = a + b + c + d;
  uint64_t sum = 0;
  for (int lane = 0; lane < 8; lane++) sum += total[lane];
  return sum;
}

static void *worker_main(void *argument) {
  worker_state *state = argument;
  for (int pass = 0; pass < state->passes; pass++) {
    pthread_barrier_wait(state->begin);
    state->sum += sum_slice(state->start, state->count);
    pthread_barrier_wait(state->end);
  }
  return NULL;
}

static int compare_doubles(const void *left, const void *right) {
  double a = *(const double *)left, b = *(const double *)right;
  return (a > b) - (a < b);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s <threads> <megabytes> <passes>\n", argv[0]);
    return 2;
  }
  int threads = atoi(argv[1]);
  long megabytes = atol(argv[2]);
  int passes = atoi(argv[3]);
  if (threads < 1 || threads > 1024 || megabytes < 1 || passes < 1 || passes > 1000) {
    fprintf(stderr, "bandwidth: bad arguments\n");
    return 2;
  }

  size_t bytes = (size_t)megabytes << 20;
  size_t vector_count = bytes / sizeof(lane_vector);
  lane_vector *buffer = NULL;
  if (posix_memalign((void **)&buffer, 2u << 20, bytes) != 0) {
    fprintf(stderr, "bandwidth: cannot allocate %ld MiB\n", megabytes);
    return 1;
  }
#ifdef MADV_HUGEPAGE
  madvise(buffer, bytes, MADV_HUGEPAGE);
#endif
  /* Touch every page with non-zero data so reads hit real memory, not the shared zero page. */
  uint64_t *words = (uint64_t *)buffer;
  for (size_t index = 0; index < bytes / sizeof(uint64_t); index++) words[index] = index * 0x9E3779B97F4A7C15ull;

  pthread_barrier_t begin, end;
  pthread_barrier_init(&begin, NULL, (unsigned)threads + 1);
  pthread_barrier_init(&end, NULL, (unsigned)threads + 1);

  worker_state *states = calloc((size_t)threads, sizeof(worker_state));
  pthread_t *handles = calloc((size_t)threads, sizeof(pthread_t));
  double *seconds = calloc((size_t)passes, sizeof(double));
  if (states == NULL || handles == NULL || seconds == NULL) return 1;

  size_t per_thread = vector_count / (size_t)threads;
  for (int thread = 0; thread < threads; thread++) {
    states[thread].start = buffer + per_thread * (size_t)thread;
    states[thread].count = thread == threads - 1 ? vector_count - per_thread * (size_t)thread : per_thread;
    states[thread].begin = &begin;
    states[thread].end = &end;
    states[thread].passes = passes;
    int error = pthread_create(&handles[thread], NULL, worker_main, &states[thread]);
    if (error != 0) {
      fprintf(stderr, "bandwidth: pthread_create: %s\n", strerror(error));
      return 1;
    }
  }

  for (int pass = 0; pass < passes; pass++) {
    pthread_barrier_wait(&begin);
    double started = now_seconds();
    pthread_barrier_wait(&end);
    seconds[pass] = now_seconds() - started;
  }

  uint64_t checksum = 0;
  for (int thread = 0; thread < threads; thread++) {
    pthread_join(handles[thread], NULL);
    checksum += states[thread].sum;
  }

  size_t read_bytes = vector_count * sizeof(lane_vector);
  qsort(seconds, (size_t)passes, sizeof(double), compare_doubles);
  double best = (double)read_bytes / seconds[0] / 1e9;
  double median = (double)read_bytes / seconds[passes / 2] / 1e9;
  printf("{\"threads\":%d,\"bytes\":%zu,\"passes\":%d,\"bestGigabytesPerSecond\":%.3f,"
         "\"medianGigabytesPerSecond\":%.3f,\"checksum\":\"%016llx\"}\n",
         threads, read_bytes, passes, best, median, (unsigned long long)checksum);
  return 0;
}
