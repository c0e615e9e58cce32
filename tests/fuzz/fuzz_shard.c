/* libFuzzer target: the shard parser on arbitrary bytes; an accepted shard's
 * tokens and ids must lie inside the input and every token must be readable. */
#include <stdlib.h>

#include "tplr/shards.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    tplr_shard s;
    if (tplr_shard_parse(data, size, "fuzz", &s) != TPLR_OK)
        return 0;
    if (s.tokens < data || s.ids + 8 * s.n_samples > data + size)
        abort();
    volatile uint64_t sink = 0;
    for (uint64_t i = 0; i < s.n_tokens; i++)
        sink += tplr_shard_token(&s, i);
    for (uint64_t i = 0; i < s.n_samples; i++)
        sink ^= tplr_shard_sample_id(&s, i);
    (void)sink;
    return 0;
}
