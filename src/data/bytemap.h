/* Hash maps for the tokenizer: byte strings → uint32 (keys copied into an
 * arena) and uint64 → uint64, both open addressing with linear probing and
 * power-of-two tables. Nothing is allocated by a lookup; an insert allocates
 * only when the map has to grow. */
#ifndef TPLR_DATA_BYTEMAP_H
#define TPLR_DATA_BYTEMAP_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tplr/err.h"

/* A fast 64-bit hash of a short byte string (8 bytes per step). */
static inline uint64_t tplr_hash_bytes(const unsigned char *p, size_t n)
{
    const uint64_t k = 0x9E3779B97F4A7C15ull;
    uint64_t h = (uint64_t)n * k;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        h = (h ^ v) * k;
        h ^= h >> 29;
        p += 8;
        n -= 8;
    }
    if (n) {
        uint64_t v = 0;
        memcpy(&v, p, n);
        h = (h ^ v) * k;
    }
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    return h ^ (h >> 32);
}

static inline uint64_t tplr_hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDull;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ull;
    return x ^ (x >> 33);
}

typedef struct tplr_bytemap_slot {
    uint64_t hash;
    uint32_t off, len; /* key in the arena */
    uint32_t value;
    uint32_t used;
} tplr_bytemap_slot;

typedef struct tplr_bytemap {
    tplr_bytemap_slot *slots;
    size_t mask;  /* slots - 1 */
    size_t count;
    unsigned char *arena;
    size_t arena_len, arena_cap;
} tplr_bytemap;

/* Room for about `expect` keys of `key_bytes` bytes in all before growing. */
tplr_err tplr_bytemap_init(tplr_bytemap *m, size_t expect, size_t key_bytes);
void tplr_bytemap_free(tplr_bytemap *m);
/* Forgets every key; keeps the memory. */
void tplr_bytemap_clear(tplr_bytemap *m);
/* The value of key, or NULL. Inline: it is the encoder's word-cache lookup. */
static inline uint32_t *tplr_bytemap_find(const tplr_bytemap *m, const void *key, size_t len, uint64_t hash)
{
    for (size_t i = hash & m->mask;; i = (i + 1) & m->mask) {
        tplr_bytemap_slot *s = &m->slots[i];
        if (!s->used)
            return NULL;
        if (s->hash == hash && s->len == len) {
            const unsigned char *a = m->arena + s->off, *b = key;
            size_t k = 0;
            while (k < len && a[k] == b[k]) /* short keys: cheaper than a call to memcmp */
                k++;
            if (k == len)
                return &s->value;
        }
    }
}
/* Inserts key (absent) with value; returns a pointer to the stored value, or NULL when out of memory
 * or when the arena would pass 4 GiB. */
uint32_t *tplr_bytemap_insert(tplr_bytemap *m, const void *key, size_t len, uint64_t hash, uint32_t value);
/* The bytes of a stored key. */
static inline const unsigned char *tplr_bytemap_key(const tplr_bytemap *m, const tplr_bytemap_slot *s)
{
    return m->arena + s->off;
}

typedef struct tplr_u64map_slot {
    uint64_t key;
    uint64_t value;
} tplr_u64map_slot;

/* uint64 → uint64; the key UINT64_MAX is reserved (marks empty slots). */
typedef struct tplr_u64map {
    tplr_u64map_slot *slots;
    size_t mask, count;
} tplr_u64map;

tplr_err tplr_u64map_init(tplr_u64map *m, size_t expect);
void tplr_u64map_free(tplr_u64map *m);
/* Returns the value slot for key, inserting it with value `init` if absent (NULL when out of memory). */
uint64_t *tplr_u64map_upsert(tplr_u64map *m, uint64_t key, uint64_t init);

static inline const uint64_t *tplr_u64map_find(const tplr_u64map *m, uint64_t key)
{
    for (size_t i = tplr_hash_u64(key) & m->mask;; i = (i + 1) & m->mask) {
        const tplr_u64map_slot *s = &m->slots[i];
        if (s->key == key)
            return &s->value;
        if (s->key == UINT64_MAX)
            return NULL;
    }
}

#endif
