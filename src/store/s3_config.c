/* S3 settings: defaults, and the AWS environment variables. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/store.h"

#define MIB (1024ull * 1024ull)

void tplr_s3_config_defaults(tplr_s3_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->region, sizeof c->region, "us-east-1");
    c->connect_timeout_s = 10;
    c->request_timeout_s = 0;
    c->low_speed_time_s = 20;
    c->low_speed_bytes = 1024;
    c->max_retries = 5;
    c->retry_base_s = 0.2;
    c->retry_cap_s = 10;
    c->multipart_threshold = 100 * MIB; /* Templar: single PUT up to 100 MB */
    c->part_size = 32 * MIB;
    c->ranged_get_threshold = 64 * MIB;
    c->range_size = 16 * MIB;
    c->parallel = 8;
    c->list_page_size = 1000;
}

/* Copies the first set variable among names into dst; 1 if one was set. */
static int from_env(char *dst, size_t cap, const char *const *names, const char **which)
{
    for (; *names; names++) {
        const char *v = getenv(*names);
        if (v && *v) {
            *which = *names;
            if (strlen(v) >= cap)
                return -1;
            strcpy(dst, v);
            return 1;
        }
    }
    return 0;
}

tplr_err tplr_s3_config_from_env(tplr_s3_config *c)
{
    static const char *const endpoint[] = {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", NULL};
    static const char *const region[] = {"AWS_REGION", "AWS_DEFAULT_REGION", NULL};
    static const char *const key[] = {"AWS_ACCESS_KEY_ID", NULL};
    static const char *const secret[] = {"AWS_SECRET_ACCESS_KEY", NULL};
    static const char *const token[] = {"AWS_SESSION_TOKEN", NULL};
    struct {
        char *dst;
        size_t cap;
        const char *const *names;
    } vars[] = {{c->endpoint, sizeof c->endpoint, endpoint}, {c->region, sizeof c->region, region},
                {c->access_key, sizeof c->access_key, key},  {c->secret_key, sizeof c->secret_key, secret},
                {c->session_token, sizeof c->session_token, token}};
    tplr_s3_config_defaults(c);
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *which = NULL;
        if (from_env(vars[i].dst, vars[i].cap, vars[i].names, &which) < 0)
            return tplr_fail(TPLR_EINVAL, "%s is longer than %zu characters", which, vars[i].cap - 1);
    }
    if (!c->access_key[0] || !c->secret_key[0])
        return tplr_fail(TPLR_EINVAL, "S3 credentials missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
                                      "(and AWS_ENDPOINT_URL for a non-AWS endpoint)");
    return TPLR_OK;
}
