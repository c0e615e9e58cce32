/* Shared by src/node/netreport_*.c: the collected lines, as JSON.
 *   nodes:   "miner/3" -> {"role", "uid", "name", "adversary", "start", "stop", "last_window"}
 *   windows: "12" -> {"miner": {"3": line}, "validator": {"0": line}}  (lines as checked) */
#ifndef TPLR_NETREPORT_INTERNAL_H
#define TPLR_NETREPORT_INTERNAL_H

#include <jansson.h>

#include "tplr/netreport.h"

struct tplr_netmetrics {
    json_t *nodes;
    json_t *windows;
};

/* A number field of an object, or NAN when absent. */
double netreport_num(const json_t *o, const char *key);

#endif
