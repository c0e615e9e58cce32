#include "bytemap.h"

#include <stdlib.h>

static size_t pow2_at_least(size_t n)
{
    size_t p = 16;
    while (p < n)
        p <<= 1;
    return p;
}

tplr_err tplr_bytemap_init(tplr_bytemap *m, size_t expect, size_t key_bytes)
{
    memset(m, 0, sizeof *m);
    size_t n = pow2_at_least(expect * 2);
    m->slots = calloc(n, sizeof *m->slots);
    m->arena_cap = key_bytes > 64 ? key_bytes : 64;
    m->arena = malloc(m->arena_cap);
    if (!m->slots || !m->arena) {
        tplr_bytemap_free(m);
        return tplr_fail(TPLR_ENOMEM, "hash map of %zu keys: out of memory", expect);
    }
    m->mask = n - 1;
    return TPLR_OK;
}

void tplr_bytemap_free(tplr_bytemap *m)
{
    free(m->slots);
    free(m->arena);
    memset(m, 0, sizeof *m);
}

void tplr_bytemap_clear(tplr_bytemap *m)
{
    memset(m->slots, 0, (m->mask + 1) * sizeof *m->slots);
    m->count = 0;
    m->arena_len = 0;
}

static int grow_slots(tplr_bytemap *m)
{
    size_t n = (m->mask + 1) * 2;
    tplr_bytemap_slot *slots = calloc(n, sizeof *slots);
    if (!slots)
        return 0;
    for (size_t i = 0; i <= m->mask; i++) {
        if (!m->slots[i].used)
            continue;
        size_t j = m->slots[i].hash & (n - 1);
        while (slots[j].used)
            j = (j + 1) & (n - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->mask = n - 1;
    return 1;
}

uint32_t *tplr_bytemap_insert(tplr_bytemap *m, const void *key, size_t len, uint64_t hash, uint32_t value)
{
    if ((m->count + 1) * 2 > m->mask + 1 && !grow_slots(m))
        return NULL;
    if (len > UINT32_MAX - m->arena_len)
        return NULL;
    if (m->arena_len + len > m->arena_cap) {
        size_t cap = m->arena_cap * 2;
        while (cap < m->arena_len + len)
            cap *= 2;
        unsigned char *a = realloc(m->arena, cap);
        if (!a)
            return NULL;
        m->arena = a;
        m->arena_cap = cap;
    }
    memcpy(m->arena + m->arena_len, key, len);
    size_t i = hash & m->mask;
    while (m->slots[i].used)
        i = (i + 1) & m->mask;
    m->slots[i] = (tplr_bytemap_slot){hash, (uint32_t)m->arena_len, (uint32_t)len, value, 1};
    m->arena_len += len;
    m->count++;
    return &m->slots[i].value;
}

tplr_err tplr_u64map_init(tplr_u64map *m, size_t expect)
{
    m->count = 0;
    size_t n = pow2_at_least(expect * 2);
    m->slots = malloc(n * sizeof *m->slots);
    if (!m->slots)
        return tplr_fail(TPLR_ENOMEM, "hash map of %zu keys: out of memory", expect);
    memset(m->slots, 0xFF, n * sizeof *m->slots);
    m->mask = n - 1;
    return TPLR_OK;
}

void tplr_u64map_free(tplr_u64map *m)
{
    free(m->slots);
    memset(m, 0, sizeof *m);
}

static int grow_u64(tplr_u64map *m)
{
    size_t n = (m->mask + 1) * 2;
    tplr_u64map_slot *slots = malloc(n * sizeof *slots);
    if (!slots)
        return 0;
    memset(slots, 0xFF, n * sizeof *slots);
    for (size_t i = 0; i <= m->mask; i++) {
        if (m->slots[i].key == UINT64_MAX)
            continue;
        size_t j = tplr_hash_u64(m->slots[i].key) & (n - 1);
        while (slots[j].key != UINT64_MAX)
            j = (j + 1) & (n - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->mask = n - 1;
    return 1;
}

uint64_t *tplr_u64map_upsert(tplr_u64map *m, uint64_t key, uint64_t init)
{
    for (;;) {
        size_t i = tplr_hash_u64(key) & m->mask;
        for (;; i = (i + 1) & m->mask) {
            tplr_u64map_slot *s = &m->slots[i];
            if (s->key == key)
                return &s->value;
            if (s->key == UINT64_MAX)
                break;
        }
        if ((m->count + 1) * 2 <= m->mask + 1) {
            m->slots[i] = (tplr_u64map_slot){key, init};
            m->count++;
            return &m->slots[i].value;
        }
        if (!grow_u64(m))
            return NULL;
    }
}
