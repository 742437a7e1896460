/*
 * zoomsync-healthcheck: the container's HEALTHCHECK. GET /healthz (or the path given as the only
 * argument) from the daemon in the same container; exit 0 on a 200, 1 otherwise.
 *
 * Why a program of its own: the runtime image has no shell, curl or wget (only the daemon and the
 * libraries it links), and zoomsync has no "check yourself" subcommand. This needs nothing but
 * libc, which the image carries for the daemon anyway.
 *
 * The address is the daemon's own: ZOOMSYNC__SERVER__BIND (default 127.0.0.1:8080), with a
 * wildcard host (0.0.0.0, [::]) asked on loopback. It does not read the TOML file: set the bind
 * address in the environment, as the image does.
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int fail(const char *what) {
    fprintf(stderr, "zoomsync-healthcheck: %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "/healthz";
    const char *bind = getenv("ZOOMSYNC__SERVER__BIND");
    char host[256], port[16];

    if (bind == NULL || *bind == '\0') bind = "127.0.0.1:8080";
    const char *colon = strrchr(bind, ':');
    if (colon == NULL || colon == bind || strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof port)
        return fail("ZOOMSYNC__SERVER__BIND is not HOST:PORT");
    size_t host_len = (size_t)(colon - bind);
    if (host_len >= sizeof host) return fail("ZOOMSYNC__SERVER__BIND host too long");
    memcpy(host, bind, host_len);
    host[host_len] = '\0';
    strcpy(port, colon + 1);
    /* [::1]:8080 -> ::1 */
    if (host[0] == '[' && host_len >= 2 && host[host_len - 1] == ']') {
        memmove(host, host + 1, host_len - 2);
        host[host_len - 2] = '\0';
    }
    if (strcmp(host, "0.0.0.0") == 0) strcpy(host, "127.0.0.1");
    if (strcmp(host, "::") == 0) strcpy(host, "::1");

    struct addrinfo hints = {0}, *addrs = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &addrs) != 0 || addrs == NULL) return fail("cannot resolve the bind address");

    int fd = -1;
    for (struct addrinfo *a = addrs; a != NULL; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
        if (fd < 0) continue;
        /* A wedged daemon must fail the check, not hang it. */
        struct timeval timeout = {.tv_sec = 3, .tv_usec = 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(addrs);
    if (fd < 0) return fail("cannot connect");

    char request[512];
    int n = snprintf(request, sizeof request, "GET %s HTTP/1.0\r\nHost: %s:%s\r\nConnection: close\r\n\r\n", path,
                     host, port);
    if (n < 0 || (size_t)n >= sizeof request) return fail("path too long");
    if (write(fd, request, (size_t)n) != n) return fail("cannot send the request");

    /* The status line is all we need: "HTTP/1.x 200 ...". */
    char answer[64] = {0};
    size_t got = 0;
    while (got < sizeof answer - 1) {
        ssize_t r = read(fd, answer + got, sizeof answer - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (strncmp(answer, "HTTP/1.", 7) != 0 || strncmp(answer + 8, " 200", 4) != 0) return fail("not 200");
    return 0;
}
