/* SLO alert transitions to webhooks: Alertmanager (v2 API), Slack incoming
 * webhooks and PagerDuty Events v2, over the non-blocking HTTP client,
 * retried with exponential backoff (1, 2, 4, 8 s; 5 attempts), never
 * blocking the loop. Configured in `alerting.webhooks`:
 *
 *   webhooks:
 *     - {kind: alertmanager, url: http://am:9093/api/v2/alerts}
 *     - {kind: slack, url_env: SLACK_WEBHOOK_URL, severities: [page, ticket]}
 *     - {kind: pagerduty, routing_key_env: PD_ROUTING_KEY}
 *
 * Secrets (Slack URLs, routing keys) come from the environment. */
#ifndef LOOKOUT_ALERT_WEBHOOK_H
#define LOOKOUT_ALERT_WEBHOOK_H

#include <stddef.h>

#include "core/engine.h"
#include "base/http.h"
#include "base/loop.h"
#include "base/yaml_tree.h"

struct webhooks;

/* Validates the `webhooks` list. */
int webhooks_check(const struct ynode *list, char *err, size_t errlen);
/* Loads the list and registers the notifier on e; NULL list: nothing. */
int webhooks_attach(struct engine *e, struct loop *l, struct http *h, const struct ynode *list,
                    char *err, size_t errlen);

/* The JSON body sent for a transition (tests, and the sender). kind:
 * "alertmanager", "slack" or "pagerduty"; caller frees. */
char *webhook_body(const char *kind, const struct slo *row, enum alert_state from,
                   const char *routing_key, int64_t now);

#endif
