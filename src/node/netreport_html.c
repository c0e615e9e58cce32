/* The localnet report: one HTML page with inline SVG line plots (loss,
 * scores, weights over windows), a penalty table and a traffic table, drawn
 * from a summary's text. Nothing is fetched from anywhere. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "netreport_internal.h"

static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
#define N_COLORS (sizeof palette / sizeof palette[0])

/* Text with &, <, >, " escaped. */
static void put_text(FILE *f, const char *s)
{
    for (; s && *s; s++)
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
}

typedef struct series {
    char name[64];
    const json_t *points; /* [[window, value], ...] */
    int dashed;
} series;

#define W 640
#define H 300
#define L 60 /* left margin */
#define R 150 /* right margin: the legend */
#define T 30
#define B 40

static void svg_plot(FILE *f, const char *title, const char *ylabel, const series *s, int ns)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (int i = 0; i < ns; i++) {
        size_t k;
        const json_t *p;
        json_array_foreach(s[i].points, k, p)
        {
            double x = json_number_value(json_array_get(p, 0)), y = json_number_value(json_array_get(p, 1));
            x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
        }
    }
    fprintf(f, "<h2>");
    put_text(f, title);
    fprintf(f, "</h2>\n<svg class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\">\n",
            W, H, W, H);
    if (!isfinite(x0)) {
        fprintf(f, "<text x=\"%d\" y=\"%d\">no data</text></svg>\n", W / 2 - 30, H / 2);
        return;
    }
    if (x1 == x0)
        x1 = x0 + 1;
    if (y1 - y0 < 1e-12) {
        y0 -= 0.5;
        y1 += 0.5;
    }
    double pad = (y1 - y0) * 0.05;
    y0 -= pad, y1 += pad;
    const double pw = W - L - R, ph = H - T - B;
#define PX(x) (L + ((x) - x0) / (x1 - x0) * pw)
#define PY(y) (T + (y1 - (y)) / (y1 - y0) * ph)
    fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#999\"/>\n", L, T, pw,
            ph);
    for (int i = 0; i <= 4; i++) {
        double y = y0 + (y1 - y0) * i / 4;
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.4g</text>\n", L - 4,
                PY(y) + 4, y);
        fprintf(f, "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>\n", L, L + pw, PY(y),
                PY(y));
    }
    /* windows are whole numbers: a tick on every one, or every step-th */
    double step = fmax(1, ceil((x1 - x0) / 8));
    for (double x = ceil(x0); x <= x1 + 1e-9; x += step)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.0f</text>\n", PX(x),
                H - B + 16, x);
    fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">window</text>\n", L + pw / 2,
            H - 6);
    fprintf(f, "<text x=\"14\" y=\"%.0f\" font-size=\"12\" text-anchor=\"middle\" transform=\"rotate(-90 14 %.0f)\">",
            T + ph / 2, T + ph / 2);
    put_text(f, ylabel);
    fprintf(f, "</text>\n");
    for (int i = 0; i < ns; i++) {
        const char *color = palette[i % N_COLORS];
        fprintf(f, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s points=\"", color,
                s[i].dashed ? " stroke-dasharray=\"6 3\"" : "");
        size_t k;
        const json_t *p;
        json_array_foreach(s[i].points, k, p) fprintf(f, "%s%.1f,%.1f", k ? " " : "",
                                                      PX(json_number_value(json_array_get(p, 0))),
                                                      PY(json_number_value(json_array_get(p, 1))));
        fprintf(f, "\"/>\n");
        json_array_foreach(s[i].points, k, p) fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n",
                                                      PX(json_number_value(json_array_get(p, 0))),
                                                      PY(json_number_value(json_array_get(p, 1))), color);
        fprintf(f, "<text x=\"%.0f\" y=\"%d\" font-size=\"12\" fill=\"%s\">", L + pw + 10, T + 14 + 16 * i, color);
        put_text(f, s[i].name);
        fprintf(f, "</text>\n");
    }
#undef PX
#undef PY
    fprintf(f, "</svg>\n");
}

#define MAX_SERIES 64

/* One plot of a per-uid series (key) over every uid of a role. */
static void plot_uids(FILE *f, const json_t *uids, const char *role, const char *key, const char *title,
                      const char *ylabel, int dashed, series *s, int *ns)
{
    const char *u;
    json_t *o;
    json_object_foreach((json_t *)uids, u, o)
    {
        const json_t *pts = json_object_get(o, key);
        const char *r = json_string_value(json_object_get(o, "role"));
        if (!r || strcmp(r, role) || !json_is_array(pts) || *ns == MAX_SERIES)
            continue;
        const char *adv = json_string_value(json_object_get(o, "adversary"));
        series *x = &s[(*ns)++];
        snprintf(x->name, sizeof x->name, "%s %s%s%s", role, u, adv && *adv ? " " : "", adv && *adv ? adv : "");
        x->points = pts;
        x->dashed = dashed;
    }
    if (title)
        svg_plot(f, title, ylabel, s, *ns);
}

static void penalty_table(FILE *f, const json_t *uids)
{
    fprintf(f, "<h2>Penalties and traffic</h2>\n<table>\n<tr><th>uid</th><th>role</th><th>adversary</th>"
               "<th>penalties</th><th>last weight</th><th>uploaded MB</th><th>downloaded MB</th>"
               "<th>compute / wall</th></tr>\n");
    const char *u;
    json_t *o;
    json_object_foreach((json_t *)uids, u, o)
    {
        fprintf(f, "<tr><td>");
        put_text(f, u);
        fprintf(f, "</td><td>");
        put_text(f, json_string_value(json_object_get(o, "role")));
        fprintf(f, "</td><td>");
        const char *adv = json_string_value(json_object_get(o, "adversary"));
        put_text(f, adv && *adv ? adv : "honest");
        fprintf(f, "</td><td>");
        const char *kind;
        json_t *n;
        int any = 0;
        json_object_foreach(json_object_get(o, "penalties"), kind, n)
        {
            fprintf(f, "%s", any++ ? ", " : "");
            put_text(f, kind);
            fprintf(f, " &times;%lld", (long long)json_integer_value(n));
        }
        fprintf(f, "%s</td>", any ? "" : "none");
        double w = netreport_num(o, "last_weight"), up = netreport_num(o, "bytes_up"),
               down = netreport_num(o, "bytes_down"), c = netreport_num(o, "compute_s"),
               t = netreport_num(o, "window_s");
        if (isnan(w))
            fprintf(f, "<td>-</td>");
        else
            fprintf(f, "<td>%.4f</td>", w);
        fprintf(f, "<td>%.3f</td><td>%.3f</td>", isnan(up) ? 0 : up / 1e6, isnan(down) ? 0 : down / 1e6);
        if (isnan(c) || isnan(t) || t <= 0)
            fprintf(f, "<td>-</td></tr>\n");
        else
            fprintf(f, "<td>%.0f%%</td></tr>\n", 100 * c / t);
    }
    fprintf(f, "</table>\n");
}

tplr_err tplr_netreport_html(const char *summary_json, char **out)
{
    json_error_t jerr;
    json_t *root = json_loads(summary_json, 0, &jerr);
    const json_t *uids = json_object_get(root, "uids");
    const char *format = json_string_value(json_object_get(root, "format"));
    if (!json_is_object(uids) || !format || strcmp(format, "tplr-localnet-summary")) {
        json_decref(root);
        return tplr_fail(TPLR_EFORMAT, "not a tplr-localnet-summary: %s", root ? "wrong format field" : jerr.text);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        json_decref(root);
        return tplr_fail(TPLR_ENOMEM, "out of memory writing the report");
    }
    const json_t *tot = json_object_get(root, "totals");
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>tplr localnet report</title>\n"
               "<style>body{font-family:sans-serif;max-width:900px;margin:2em auto;color:#222}"
               "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
               "svg{display:block;margin-bottom:1em}</style>\n</head><body>\n<h1>tplr localnet</h1>\n");
    fprintf(f, "<p>%lld windows; %.3f MB uploaded, %.3f MB downloaded in all",
            (long long)json_integer_value(json_object_get(tot, "windows")), netreport_num(tot, "bytes_up") / 1e6,
            netreport_num(tot, "bytes_down") / 1e6);
    double util = netreport_num(tot, "utilization");
    if (!isnan(util))
        fprintf(f, "; compute took %.0f%% of the nodes' wall time", 100 * util);
    fprintf(f, ". Scores and weights are the first validator's.</p>\n");
    series s[MAX_SERIES];
    int ns = 0;
    plot_uids(f, uids, "miner", "loss", NULL, NULL, 0, s, &ns);
    plot_uids(f, uids, "validator", "eval_loss", "Loss (miners: training; validators, dashed: evaluation)",
              "nats per token", 1, s, &ns);
    ns = 0;
    plot_uids(f, uids, "miner", "final_score", "Final scores", "score", 0, s, &ns);
    ns = 0;
    plot_uids(f, uids, "miner", "weight", "Weights", "weight", 0, s, &ns);
    penalty_table(f, uids);
    fprintf(f, "</body></html>\n");
    json_decref(root);
    if (fclose(f) != 0 || !buf) {
        free(buf);
        return tplr_fail(TPLR_ENOMEM, "out of memory writing the report");
    }
    *out = buf;
    return TPLR_OK;
}
