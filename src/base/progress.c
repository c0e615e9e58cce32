#include "tplr/progress.h"

#include <unistd.h>

#include "tplr/timeutil.h"

void tplr_progress_start(tplr_progress *p, FILE *out, int64_t total)
{
    p->out = out;
    p->is_tty = isatty(fileno(out));
    p->total = total;
    p->start = tplr_now();
    p->last_print = 0;
    p->interval = p->is_tty ? 0.1 : 5.0;
    p->drawn = 0;
}

void tplr_progress_update(tplr_progress *p, int64_t done, const char *detail, int force)
{
    double now = tplr_now();
    if (!force && now - p->last_print < p->interval && done != p->total)
        return;
    p->last_print = now;
    double elapsed = now - p->start;
    double eta = done > 0 ? elapsed * (double)(p->total - done) / (double)done : -1;
    char eta_s[32], el_s[32];
    tplr_format_duration(eta, eta_s, sizeof eta_s);
    tplr_format_duration(elapsed, el_s, sizeof el_s);
    int width = 1;
    for (int64_t t = p->total; t >= 10; t /= 10)
        width++;
    fprintf(p->out, "%s%*lld/%lld | %s | %s elapsed, ETA %s%s", p->is_tty ? "\r\033[K" : "", width,
            (long long)done, (long long)p->total, detail ? detail : "", el_s, eta_s,
            p->is_tty ? "" : "\n");
    fflush(p->out);
    p->drawn = p->is_tty;
}

void tplr_progress_finish(tplr_progress *p)
{
    if (p->drawn)
        fputc('\n', p->out);
    p->drawn = 0;
    fflush(p->out);
}
