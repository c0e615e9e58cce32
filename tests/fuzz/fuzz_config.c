/* libFuzzer target: config.json parsing; an accepted config must validate. */
#include <stdlib.h>
#include <string.h>

#include "tplr/config.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    tplr_model_config c;
    if (tplr_config_from_json(&c, s, "fuzz") == TPLR_OK && tplr_config_validate(&c) != TPLR_OK)
        abort();
    free(s);
    return 0;
}
