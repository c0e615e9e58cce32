/* The ledger's read endpoints, shared by the modules that answer them.
 * Private to src/chain. */
#ifndef TPLR_CHAIN_LEDGER_QUERY_H
#define TPLR_CHAIN_LEDGER_QUERY_H

#include <jansson.h>

#include "ledger_internal.h"

#define SEGMENTS_MAX 4

/* One GET: the path's segments after /v1/, inside a read transaction on c. */
typedef struct request {
    tplr_ledger *l;
    dbconn *c;
    const char *seg[SEGMENTS_MAX];
    size_t seg_len[SEGMENTS_MAX];
    int n_seg;
    const char *query;
    tplr_ledger_reply *r;
} request;

/* Answers: JSON (consumed), an error, or the current error as a 500. */
void reply_json(tplr_ledger_reply *r, int status, const char *code, json_t *j);
void reply_error(tplr_ledger_reply *r, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void reply_db_error(request *q);

json_t *address_json(const void *pk, int len);
json_t *hex_json(const void *b, int len);
/* Segment i as an integer 0..max (digits only); -1 if it is not one. */
int seg_uint(const request *q, int i, uint64_t max, uint64_t *v);
/* Segment i as an address; on failure answers 400 and returns -1. */
int seg_address(request *q, int i, unsigned char pk[32]);
/* The head as of the read transaction. */
uint64_t snapshot_head(dbconn *c, uint64_t *time_ms);

/* ledger_query_subnet.c */
void get_metagraph(request *q);
void get_commitments(request *q);
void get_weights(request *q);
/* ledger_query_accounts.c */
void get_transfer(request *q);
void get_extrinsic(request *q);
void get_balance(request *q);

#endif
