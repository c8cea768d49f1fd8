/*
 * The kernel's floor for an SFU's fan-out on this host: one frame of `packets` RTP-sized datagrams sent
 * to `subscribers` loopback sockets, one sendto(2) per copy as libdatachannel does, then the same burst
 * with sendmmsg(2), one call per packet for every subscriber. A child process drains the sockets with
 * epoll, as receivers would. No crypto and no JavaScript: what is left is the syscall and the loopback
 * delivery. Prints one JSON object.
 *
 * Build: cc -O2 -o udp-fanout udpFanout.c
 * Run:   udp-fanout <subscribers> <packets per frame> <packet bytes> <frames> <sender cpu or -1>
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

static void drain_forever(int *socks, int n) {
  int ep = epoll_create1(0);
  for (int i = 0; i < n; i++) {
    struct epoll_event e = {.events = EPOLLIN, .data.fd = socks[i]};
    epoll_ctl(ep, EPOLL_CTL_ADD, socks[i], &e);
  }
  char buf[2048];
  struct epoll_event ev[64];
  for (;;) {
    int k = epoll_wait(ep, ev, 64, -1);
    for (int j = 0; j < k; j++)
      while (recv(ev[j].data.fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
      }
  }
}

/* Mean, p99 and max of the bursts, in ms; the cost of one copy in us. */
static void report(const char *name, double *burst, int frames, int copies, int last) {
  double sum = 0;
  for (int i = 0; i < frames; i++) sum += burst[i];
  qsort(burst, frames, sizeof *burst, cmp);
  int p99 = (int)(frames * 0.99);
  if (p99 >= frames) p99 = frames - 1;
  printf("\"%s\":{\"usPerCopy\":%.3f,\"burstMeanMs\":%.3f,\"burstP99Ms\":%.3f,\"burstMaxMs\":%.3f}%s", name,
         sum / frames / copies / 1e3, sum / frames / 1e6, burst[p99] / 1e6, burst[frames - 1] / 1e6,
         last ? "" : ",");
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: udp-fanout <subscribers> <packets> <bytes> <frames> <sender cpu or -1>\n");
    return 2;
  }
  int subs = atoi(argv[1]), packets = atoi(argv[2]), bytes = atoi(argv[3]), frames = atoi(argv[4]);
  int cpu = atoi(argv[5]);
  if (subs < 1 || subs > 1024 || packets < 1 || packets > 256 || bytes < 12 || bytes > 1500 || frames < 1 ||
      frames > 100000) {
    fprintf(stderr, "udp-fanout: argument out of range\n");
    return 2;
  }
  int *socks = calloc(subs, sizeof *socks);
  struct sockaddr_in *to = calloc(subs, sizeof *to);
  for (int i = 0; i < subs; i++) {
    socks[i] = socket(AF_INET, SOCK_DGRAM, 0);
    int rcvbuf = 4 << 20;
    setsockopt(socks[i], SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    to[i].sin_family = AF_INET;
    to[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof to[i];
    if (bind(socks[i], (struct sockaddr *)&to[i], len) != 0 ||
        getsockname(socks[i], (struct sockaddr *)&to[i], &len) != 0) {
      perror("udp-fanout: bind");
      return 1;
    }
  }
  pid_t reader = fork();
  if (reader == 0) {
    pin(cpu < 0 ? -1 : (cpu == 0 ? 1 : 0));
    drain_forever(socks, subs);
  }
  pin(cpu);
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  char *pkt = calloc(1, bytes);
  struct mmsghdr *msgs = calloc(subs, sizeof *msgs);
  struct iovec *iov = calloc(subs, sizeof *iov);
  for (int i = 0; i < subs; i++) {
    iov[i].iov_base = pkt;
    iov[i].iov_len = bytes;
    msgs[i].msg_hdr.msg_name = &to[i];
    msgs[i].msg_hdr.msg_namelen = sizeof to[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  double *single = calloc(frames, sizeof *single), *batched = calloc(frames, sizeof *batched);
  const struct timespec gap = {0, 33 * 1000 * 1000}; /* one frame interval at 30 fps */
  for (int f = 0; f < frames; f++) {
    double t0 = now_ns();
    for (int p = 0; p < packets; p++)
      for (int i = 0; i < subs; i++) sendto(s, pkt, bytes, 0, (struct sockaddr *)&to[i], sizeof to[i]);
    single[f] = now_ns() - t0;
    nanosleep(&gap, NULL);
    t0 = now_ns();
    for (int p = 0; p < packets; p++)
      for (int sent = 0; sent < subs;) {
        int n = sendmmsg(s, msgs + sent, subs - sent, 0);
        if (n <= 0) break;
        sent += n;
      }
    batched[f] = now_ns() - t0;
    nanosleep(&gap, NULL);
  }
  kill(reader, SIGKILL);
  waitpid(reader, NULL, 0);
  printf("{\"subscribers\":%d,\"packetsPerFrame\":%d,\"packetBytes\":%d,\"frames\":%d,", subs, packets, bytes,
         frames);
  report("sendto", single, frames, subs * packets, 0);
  report("sendmmsg", batched, frames, subs * packets, 1);
  printf("}\n");
  return 0;
}
