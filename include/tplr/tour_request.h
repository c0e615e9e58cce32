/* A tournament submission as the miner sends it: POST /submissions with a
 * JSON body (docs/formats.md, "Tournament submission request"), signed by
 * the miner's hotkey over a canonical text that binds the hotkey, the
 * SHA-256 of the code, the fee payment's transfer id, a timestamp and a
 * nonce. Parsing checks every field of the untrusted body. */
#ifndef TPLR_TOUR_REQUEST_H
#define TPLR_TOUR_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "tplr/err.h"
#include "tplr/keys.h"

#define TPLR_TOUR_REQUEST_VERSION 1
#define TPLR_TOUR_CODE_MAX (256 * 1024)   /* bytes of source */
#define TPLR_TOUR_BODY_MAX (2 * 1024 * 1024) /* bytes of request body (escaped source fits) */
#define TPLR_TOUR_NONCE 16
#define TPLR_TOUR_MESSAGE_MAX 512
#define TPLR_TOUR_DOMAIN "tplr-tournament-submission/1"

typedef struct tplr_tour_request {
    unsigned char hotkey[TPLR_KEY_PUBLIC];
    char *code; /* code_len bytes and a NUL (malloc'd); no NUL inside */
    size_t code_len;
    unsigned char code_sha256[32];
    int has_payment; /* 0: no fee paid (only a server with fee 0 takes it) */
    uint64_t pay_block;
    uint32_t pay_index;
    uint64_t timestamp_ms; /* the miner's clock, ms since the epoch */
    unsigned char nonce[TPLR_TOUR_NONCE];
    unsigned char signature[TPLR_KEY_SIGNATURE];
} tplr_tour_request;

/* Parses len bytes of untrusted JSON. Every field is checked (types, ranges,
 * lengths, hex, addresses, no unknown keys); the message names the field. The
 * signature is parsed, not verified. */
tplr_err tplr_tour_request_parse(const char *body, size_t len, tplr_tour_request *r);
void tplr_tour_request_free(tplr_tour_request *r);

/* The canonical text that is signed; its length (< TPLR_TOUR_MESSAGE_MAX). */
size_t tplr_tour_request_message(const tplr_tour_request *r, char out[TPLR_TOUR_MESSAGE_MAX]);
/* 1 when the signature is the hotkey's over the canonical text. */
int tplr_tour_request_verify(const tplr_tour_request *r);

/* Builds a signed request (the client side): copies code, hashes it, sets
 * the hotkey, a fresh nonce, timestamp_ms, and signs. pay_block/pay_index
 * are used when has_payment. */
tplr_err tplr_tour_request_make(const char *code, size_t code_len, const tplr_keypair *hotkey, int has_payment,
                                uint64_t pay_block, uint32_t pay_index, uint64_t timestamp_ms, tplr_tour_request *r);
/* The JSON body (malloc'd, NUL-terminated). */
char *tplr_tour_request_to_json(const tplr_tour_request *r);

#endif
