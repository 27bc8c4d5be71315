/*  zs_report - the monitor's JSON lines, for scripts

    One JSON object per line, each with a "type":
    - "snapshot": the cluster as STATUS_OK gives it (the fields of `zstore
      status --json`), why it was taken ("start", "gap", "restart",
      "reconnect" or "once") and the endpoints;
    - "event": one event, its sequence, time (ms since the epoch), kind and
      attributes (strings, as the gateway sends them);
    - "unreachable": the gateway stopped answering, and why.
*/

#ifndef ZS_REPORT_H_INCLUDED
#define ZS_REPORT_H_INCLUDED

#include "zs_json.h"
#include "zs_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

//  Each returns a line without its newline, which the caller frees; NULL
//  when memory ran out. Times are wall-clock ms.
char *zs_report_snapshot (zs_proto_t *status, const char *reason, const char *gateway,
                          const char *events, uint64_t now);
char *zs_report_event (zs_proto_t *event);

//  Writes STATUS_OK's fields into the object json is in: the body of
//  `zstore status --json`, and of a snapshot line
void zs_report_status (zs_json_t *json, zs_proto_t *status);
char *zs_report_unreachable (const char *gateway, const char *problem, uint64_t now);

#ifdef __cplusplus
}
#endif

#endif
