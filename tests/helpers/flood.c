/*
 * A listener flood for tests/cli/flood.sh: waits (up to SECONDS) for ADDR:PORT
 * to listen, opens COUNT idle TCP connections to it (loopback only), sends
 * nothing, and holds them until SECONDS have passed. With --reopen, a
 * connection the server closes is opened again (at most 20 * COUNT opens in
 * all), so the pressure lasts the whole time. With --from SRC the connections
 * come from SRC (another loopback address, e.g. 127.0.0.2: a stranger, not the
 * partner). Prints "flooding" once the connections are opened, and one line at
 * the end (also after SIGTERM): "opened N, refused R, closed by the server C,
 * open at the end O".
 * Every loop is bounded by COUNT and by SECONDS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FLOOD_MAX 5000
#define FLOOD_BATCH 50

static volatile sig_atomic_t stop; /* SIGTERM: stop early, still print the summary */

static void on_term(int sig)
{
        (void)sig;
        stop = 1;
}

struct flood {
        struct sockaddr_in sa;
        struct sockaddr_in from; /* sin_family 0: the kernel's choice */
        int fd[FLOOD_MAX];
        struct pollfd pfd[FLOOD_MAX];
        size_t count;
        unsigned long opened, refused, closed, budget;
};

static long long now_ms(void)
{
        struct timespec ts;

        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
                return 0;
        return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Opens slot i (non-blocking connect). Returns 0, or -1 (out of budget or fds). */
static int open_one(struct flood *f, size_t i)
{
        int fd;

        if (f->budget == 0)
                return -1;
        f->budget--;
        fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
                return -1;
        if ((f->from.sin_family != 0 &&
             bind(fd, (const struct sockaddr *)&f->from, sizeof(f->from)) != 0) ||
            fcntl(fd, F_SETFL, O_NONBLOCK) != 0 ||
            (connect(fd, (struct sockaddr *)&f->sa, sizeof(f->sa)) != 0 && errno != EINPROGRESS)) {
                f->refused++;
                close(fd);
                return -1;
        }
        f->fd[i] = fd;
        f->opened++;
        return 0;
}

/* Waits (until end) for ADDR:PORT to accept a connection: the flood starts
 * together with the server. Returns 0, or -1 at the end. */
static int wait_listening(const struct flood *f, long long end)
{
        while (now_ms() < end && !stop) {
                int fd = socket(AF_INET, SOCK_STREAM, 0);
                int rc;

                if (fd < 0)
                        return -1;
                rc = connect(fd, (const struct sockaddr *)&f->sa, sizeof(f->sa));
                close(fd);
                if (rc == 0)
                        return 0;
                poll(NULL, 0, 20);
        }
        return -1;
}

/* One poll round: a slot whose connection ended is closed (and reopened). */
static void round_trip(struct flood *f, bool reopen, int wait)
{
        char junk[256];

        for (size_t i = 0; i < f->count; i++) {
                f->pfd[i].fd = f->fd[i];
                f->pfd[i].events = POLLIN;
                f->pfd[i].revents = 0;
        }
        if (poll(f->pfd, f->count, wait) <= 0)
                return;
        for (size_t i = 0; i < f->count; i++) {
                if (f->fd[i] < 0 || f->pfd[i].revents == 0)
                        continue;
                ssize_t n = read(f->fd[i], junk, sizeof(junk));

                if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EINTR)))
                        continue; /* the server said something: keep holding */
                if (n < 0)
                        f->refused++;
                close(f->fd[i]);
                f->fd[i] = -1;
                f->closed++;
                if (reopen)
                        open_one(f, i);
        }
}

int main(int argc, char **argv)
{
        static struct flood f;
        struct rlimit rl;
        bool reopen = false, bad = argc < 5;
        long long end;
        unsigned long open_now = 0;

        for (int i = 5; i < argc && !bad; i++) {
                if (strcmp(argv[i], "--reopen") == 0)
                        reopen = true;
                else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc &&
                         inet_pton(AF_INET, argv[++i], &f.from.sin_addr) == 1)
                        f.from.sin_family = AF_INET;
                else
                        bad = true;
        }
        if (bad || inet_pton(AF_INET, argv[1], &f.sa.sin_addr) != 1) {
                fprintf(
                    stderr,
                    "usage: flood 127.0.0.1 PORT COUNT SECONDS [--reopen] [--from 127.0.0.N]\n");
                return 2;
        }
        f.sa.sin_family = AF_INET;
        f.sa.sin_port = htons((unsigned short)strtoul(argv[2], NULL, 10));
        f.count = strtoul(argv[3], NULL, 10);
        if (f.count == 0 || f.count > FLOOD_MAX || (ntohl(f.sa.sin_addr.s_addr) >> 24) != 127 ||
            (f.from.sin_family != 0 && (ntohl(f.from.sin_addr.s_addr) >> 24) != 127)) {
                fprintf(stderr, "flood: COUNT 1..%d, loopback only\n", FLOOD_MAX);
                return 2;
        }
        f.budget = 20 * f.count;
        signal(SIGTERM, on_term);
        end = now_ms() + 1000 * strtoll(argv[4], NULL, 10);
        /* COUNT connections need COUNT descriptors. */
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (wait_listening(&f, end) != 0) {
                fprintf(stderr, "flood: nothing listens on port %s\n", argv[2]);
                return 1;
        }
        /* In small batches: a burst beyond the listen backlog would have its SYNs
         * dropped and retried seconds later. */
        for (size_t i = 0; i < f.count; i++) {
                f.fd[i] = -1;
                open_one(&f, i);
                if (i % FLOOD_BATCH == FLOOD_BATCH - 1)
                        poll(NULL, 0, 20);
        }
        printf("flooding\n");
        fflush(stdout);
        while (now_ms() < end && !stop)
                round_trip(&f, reopen, 100);
        for (size_t i = 0; i < f.count; i++) {
                if (f.fd[i] >= 0) {
                        open_now++;
                        close(f.fd[i]);
                }
        }
        printf("opened %lu, refused %lu, closed by the server %lu, open at the end %lu\n", f.opened,
               f.refused, f.closed, open_now);
        return 0;
}
