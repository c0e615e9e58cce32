#include "store_fixture.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"

int fx_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len) != 0)
        fail_msg("cannot find a free port: %s", strerror(errno));
    close(fd);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static void start(fx_server *s, char *const argv[], const char *what)
{
    s->port = fx_free_port();
    snprintf(s->endpoint, sizeof s->endpoint, "http://127.0.0.1:%d", s->port);
    char port[16];
    snprintf(port, sizeof port, "%d", s->port);
    s->pid = fork();
    if (s->pid < 0)
        fail_msg("fork failed");
    if (s->pid == 0) {
        freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        char *args[8];
        int i = 0;
        for (; argv[i]; i++)
            args[i] = strcmp(argv[i], "PORT") ? argv[i] : port;
        args[i] = NULL;
        execvp(args[0], args);
        _exit(127);
    }
    for (int waited = 0; waited < 30000; waited += 50) { /* 30 s: a loaded machine under ASan */
        if (port_open(s->port))
            return;
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid)
            fail_msg("%s exited before listening (status %d)", what, status);
        sleep_ms(50);
    }
    fx_stop(s);
    fail_msg("%s did not listen on port %d within 30 s", what, s->port);
}

static int on_path(const char *prog)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", prog);
    return system(cmd) == 0;
}

void fx_start_moto(fx_server *s)
{
    if (!on_path("moto_server")) {
        const char *skip = getenv("TPLR_SKIP_S3_TESTS");
        if (skip && !strcmp(skip, "1"))
            skip();
        fail_msg("moto_server is not installed: pip install \"moto[server]\" (or TPLR_SKIP_S3_TESTS=1)");
    }
    char *argv[] = {"moto_server", "-H", "127.0.0.1", "-p", "PORT", NULL};
    start(s, argv, "moto_server");
}

void fx_start_fake(fx_server *s)
{
    char script[4096];
    snprintf(script, sizeof script, "%s/store/fake_s3.py", tu_src_dir());
    char *argv[] = {"python3", script, "PORT", NULL};
    start(s, argv, "fake_s3.py");
}

void fx_stop(fx_server *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        for (int waited = 0; waited < 5000; waited += 20) {
            if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
                s->pid = 0;
                return;
            }
            sleep_ms(20);
        }
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
    }
    s->pid = 0;
}

void fx_s3_config(tplr_s3_config *c, const char *endpoint)
{
    tplr_s3_config_defaults(c);
    snprintf(c->endpoint, sizeof c->endpoint, "%s", endpoint);
    snprintf(c->access_key, sizeof c->access_key, "testing");
    snprintf(c->secret_key, sizeof c->secret_key, "testing");
    c->retry_base_s = 0.01;
    c->retry_cap_s = 0.05;
    c->connect_timeout_s = 2;
}

void fx_create_bucket(const tplr_s3_config *c, const char *bucket)
{
    char url[700], sigv4[100], user[600];
    snprintf(url, sizeof url, "%s/%s", c->endpoint, bucket);
    snprintf(sigv4, sizeof sigv4, "aws:amz:%s:s3", c->region);
    snprintf(user, sizeof user, "%s:%s", c->access_key, c->secret_key);
    CURL *e = curl_easy_init();
    struct curl_slist *h = curl_slist_append(
        NULL, "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    h = curl_slist_append(h, "Content-Type: application/octet-stream");
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, sigv4);
    curl_easy_setopt(e, CURLOPT_USERPWD, user);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, fwrite);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(e, CURLOPT_WRITEDATA, devnull);
    CURLcode rc = curl_easy_perform(e);
    long status = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    fclose(devnull);
    curl_slist_free_all(h);
    curl_easy_cleanup(e);
    if (rc != CURLE_OK || status != 200)
        fail_msg("creating bucket %s at %s: curl %d, HTTP %ld", bucket, c->endpoint, rc, status);
}

void fx_fill(unsigned char *buf, size_t n, unsigned seed)
{
    uint64_t x = 0x9E3779B97F4A7C15ull * (seed + 1);
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (unsigned char)x;
    }
}
