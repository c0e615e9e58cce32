/* tplr store put|get|ls|rm|head: objects in S3 buckets and folders. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "args.h"
#include "commands.h"
#include "tplr/store.h"

#define EXIT_NOT_FOUND 3

static const char *const url_help =
    "URL is s3://bucket/key, file:///folder/key or a path. S3 settings come from AWS_ENDPOINT_URL,\n"
    "AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (--endpoint and --region override the\n"
    "first two). Exit status: 0 on success, 1 on failure, 2 on a usage error, 3 when the object or\n"
    "bucket does not exist.";

typedef struct store_flags {
    const char *endpoint, *region;
    uint64_t max_bytes, multipart_threshold, part_size;
    int retries; /* -1: the default */
    int json;
} store_flags;

static int fail_with(tplr_err e)
{
    cli_fail(tplr_errmsg());
    return e == TPLR_ENOTFOUND ? EXIT_NOT_FOUND : 1;
}

/* Opens the store that holds URL and gives the key (or prefix) in it. */
static tplr_err open_url(const char *url, const store_flags *f, tplr_store **s, char *key, size_t key_cap)
{
    char root[4096];
    TPLR_TRY(tplr_store_split_url(url, root, sizeof root, key, key_cap));
    if (strncmp(root, "s3://", 5) != 0)
        return tplr_store_open(root, NULL, s);
    tplr_s3_config cfg;
    tplr_err e = tplr_s3_config_from_env(&cfg);
    if (e)
        return e;
    if (f->endpoint && snprintf(cfg.endpoint, sizeof cfg.endpoint, "%s", f->endpoint) >= (int)sizeof cfg.endpoint)
        return tplr_fail(TPLR_EINVAL, "--endpoint is too long");
    if (f->region && snprintf(cfg.region, sizeof cfg.region, "%s", f->region) >= (int)sizeof cfg.region)
        return tplr_fail(TPLR_EINVAL, "--region is too long");
    if (f->multipart_threshold)
        cfg.multipart_threshold = f->multipart_threshold;
    if (f->part_size)
        cfg.part_size = f->part_size;
    if (f->retries >= 0)
        cfg.max_retries = f->retries;
    return tplr_store_open(root, &cfg, s);
}

static void format_time(double t, char *buf, size_t cap)
{
    time_t secs = (time_t)t;
    struct tm tm;
    gmtime_r(&secs, &tm);
    strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void print_info(const char *key, const tplr_obj_info *info, int json)
{
    char when[32];
    format_time(info->last_modified, when, sizeof when);
    if (!json) {
        printf("%12llu  %s  %s\n", (unsigned long long)info->size, when, key);
        return;
    }
    json_t *o = json_pack("{s:s, s:I, s:s, s:f, s:s}", "key", key, "size", (json_int_t)info->size, "last_modified",
                          when, "last_modified_epoch", info->last_modified, "etag", info->etag);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(o);
}

typedef enum { OP_PUT, OP_GET, OP_LS, OP_RM, OP_HEAD } store_op;

static const struct {
    const char *name, *args, *summary;
    int min_pos, max_pos;
} ops[] = {
    {"put", "URL FILE", "Uploads FILE as the object URL (atomically: readers see the old or the new bytes).", 2, 2},
    {"get", "URL [FILE]",
     "Downloads the object URL to FILE (through a temporary name renamed at the end, so a failure\n"
     "leaves nothing behind), or to standard output without FILE or with '-'.",
     1, 2},
    {"ls", "URL", "Lists every object whose key starts with URL's key (all pages): size, LastModified, key.", 1, 1},
    {"rm", "URL", "Deletes the object URL (deleting a missing object succeeds, as on S3).", 1, 1},
    {"head", "URL", "Prints the size, LastModified and ETag of the object URL.", 1, 1},
};

static tplr_err run_op(store_op op, tplr_store *s, const char *key, const char *file, const store_flags *f)
{
    tplr_obj_info info;
    if (op == OP_PUT) {
        TPLR_TRY(tplr_store_put_file(s, key, file));
        if (tplr_store_head(s, key, &info) == TPLR_OK) /* a confirmation only */
            print_info(key, &info, f->json);
        return TPLR_OK;
    }
    if (op == OP_HEAD) {
        TPLR_TRY(tplr_store_head(s, key, &info));
        print_info(key, &info, f->json);
        return TPLR_OK;
    }
    if (op == OP_RM)
        return tplr_store_delete(s, key);
    if (op == OP_LS) {
        tplr_obj_list list;
        TPLR_TRY(tplr_store_list(s, key, &list));
        for (size_t i = 0; i < list.n; i++)
            print_info(list.items[i].key, &list.items[i].info, f->json);
        tplr_obj_list_free(&list);
        return TPLR_OK;
    }
    if (file && strcmp(file, "-") != 0)
        return tplr_store_get_file(s, key, file, f->max_bytes, &info);
    unsigned char *data;
    size_t n;
    TPLR_TRY(tplr_store_get(s, key, f->max_bytes, &data, &n, &info));
    size_t written = fwrite(data, 1, n, stdout);
    free(data);
    if (written != n || fflush(stdout) != 0)
        return tplr_fail(TPLR_EIO, "writing to standard output failed");
    return TPLR_OK;
}

static int store_sub(store_op op, int argc, char **argv)
{
    store_flags f = {.max_bytes = UINT64_MAX, .retries = -1};
    cli_opt opts[] = {
        {"endpoint", OPT_STR, &f.endpoint, "URL", "S3 endpoint (default: $AWS_ENDPOINT_URL or AWS)", 0, 0},
        {"region", OPT_STR, &f.region, "NAME", "S3 region (default: $AWS_REGION or us-east-1)", 0, 0},
        {"max-bytes", OPT_U64, &f.max_bytes, "N", "get: refuse objects larger than N bytes (default: no limit)", 0, 0},
        {"multipart-threshold", OPT_U64, &f.multipart_threshold, "N",
         "put: multipart upload above N bytes (default 100 MiB)", 0, 0},
        {"part-size", OPT_U64, &f.part_size, "N", "put: multipart part size, 5 MiB to 5 GiB (default 32 MiB)", 0, 0},
        {"retries", OPT_INT, &f.retries, "N", "S3: attempts after a timeout, 5xx or dropped connection (default 5)",
         0, 0},
        {"json", OPT_FLAG, &f.json, NULL, "ls, head, put: one JSON object per line", 0, 0},
    };
    char name[32];
    snprintf(name, sizeof name, "tplr store %s", ops[op].name);
    cli_cmd cmd = {name, ops[op].args, ops[op].summary, url_help, opts, (int)(sizeof opts / sizeof opts[0]),
                   ops[op].min_pos, ops[op].max_pos};
    const char *pos[2] = {NULL, NULL};
    int n_pos, r = cli_parse(&cmd, argc, argv, pos, &n_pos);
    if (r)
        return CLI_EXIT(r);
    char key[4096];
    tplr_store *s = NULL;
    tplr_err e = open_url(pos[0], &f, &s, key, sizeof key);
    if (!e && !key[0] && op != OP_LS)
        e = tplr_fail(TPLR_EINVAL, "%s names no object (add its key after the bucket or folder)", pos[0]);
    if (!e)
        e = run_op(op, s, key, pos[1], &f);
    tplr_store_close(s);
    return e ? fail_with(e) : 0;
}

int cmd_store(int argc, char **argv)
{
    for (int op = OP_PUT; op <= OP_HEAD; op++)
        if (argc >= 2 && !strcmp(argv[1], ops[op].name))
            return store_sub((store_op)op, argc - 1, argv + 1);
    FILE *out = argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr;
    fprintf(out, "usage: tplr store <put|get|ls|rm|head> URL [FILE] [options]\n\n");
    for (int op = OP_PUT; op <= OP_HEAD; op++)
        fprintf(out, "  %-5s %s\n", ops[op].name, ops[op].args);
    fprintf(out, "\n%s\n\nRun `tplr store <command> --help` for the options.\n", url_help);
    return out == stdout ? 0 : 2;
}
