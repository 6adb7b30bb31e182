/* What the copilot counts as a material change of an incident (an SLO of
 * it starts paging, the top cause changes, a new entity joins) and what it
 * does not (figures moving, one pod named by several sources), on a
 * hand-built engine. */
#include <string.h>

#include "copilot/context.h"
#include "copilot/priv.h"
#include "core/engine.h"
#include "test.h"

#define T0 1763800000000LL

static void add_slo(struct engine *e, enum alert_state alert, double burn)
{
    struct slo s = {.objective = 0.999, .alert = alert, .nwindows = 1, .exhaustion_ms = -1};
    STR_COPY(s.name, "checkout-availability");
    STR_COPY(s.service, "checkout");
    STR_COPY(s.windows[0].name, "5m");
    s.windows[0].burn_rate = burn;
    s.npairs = 1; /* the page's pair, as the reason states it */
    STR_COPY(s.pairs[0].long_name, "1h");
    STR_COPY(s.pairs[0].short_name, "5m");
    s.pairs[0].factor = 14.4;
    s.pairs[0].long_burn = burn / 10;
    s.pairs[0].short_burn = burn;
    engine_upsert(e, T_SLOS, &s);
}

static void add_line(struct incident *inc, const char *kind, const char *text)
{
    struct timeline_entry *t = &inc->timeline[inc->ntimeline++];
    t->time = T0;
    STR_COPY(t->kind, kind);
    STR_COPY(t->text, text);
}

static struct incident scene(struct engine *e)
{
    engine_init(e);
    engine_advance(e, T0);
    add_slo(e, ALERT_BURNING, 20);
    struct incident inc = {.severity = SEV_WARNING, .opened = T0, .ncauses = 1};
    STR_COPY(inc.id, "INC-1");
    STR_COPY(inc.service, "checkout");
    STR_COPY(inc.causes[0].title, "Deploy of checkout 2.4.1");
    add_line(&inc, "deploy",
             "rollout of deployment shop/checkout to revision 8 (reg/checkout:2.4.1)");
    add_line(&inc, "pod", "pod shop/checkout-7d9f-p6wsg CrashLoopBackOff on ip-10-0-2-41");
    return inc;
}

TEST(unchanged_is_not_material)
{
    struct engine e;
    struct incident inc = scene(&e);
    struct copilot_memo a, b;
    char why[160] = "";
    copilot_memo_take(&e, &inc, &a);
    /* the burn moves, the signal count grows, the same pod is named again
     * by an event and an anomaly series: none of it is material */
    add_slo(&e, ALERT_BURNING, 40);
    inc.signals += 3;
    add_line(&inc, "event", "Warning BackOff Pod/checkout-7d9f-p6wsg: Back-off restarting");
    add_line(&inc, "anomaly", "anomaly on kernel:shop/checkout-7d9f-p6wsg:rates (score 1.00)");
    copilot_memo_take(&e, &inc, &b);
    CHECK(!copilot_memo_changed(&e, &inc, &a, &b, why, sizeof(why)));
    CHECK_STR(why, "");
    engine_free(&e);
}

TEST(page_is_material_with_its_burn)
{
    struct engine e;
    struct incident inc = scene(&e);
    struct copilot_memo a, b;
    char why[160] = "";
    copilot_memo_take(&e, &inc, &a);
    add_slo(&e, ALERT_PAGE, 223);
    copilot_memo_take(&e, &inc, &b);
    CHECK(copilot_memo_changed(&e, &inc, &a, &b, why, sizeof(why)));
    CHECK(strncmp(why, "SLO checkout-availability paged (", 33) == 0);
    CHECK(strstr(why, "223x") != NULL);
    /* once asked with the page in view, the page is no longer news */
    CHECK(!copilot_memo_changed(&e, &inc, &b, &b, why, sizeof(why)));
    engine_free(&e);
}

TEST(top_cause_and_new_entity_are_material)
{
    struct engine e;
    struct incident inc = scene(&e);
    struct copilot_memo a, b;
    char why[160] = "";
    copilot_memo_take(&e, &inc, &a);
    STR_COPY(inc.causes[0].title, "Memory limit too low or a leak");
    copilot_memo_take(&e, &inc, &b);
    CHECK(copilot_memo_changed(&e, &inc, &a, &b, why, sizeof(why)));
    CHECK_STR(why, "top cause now Memory limit too low or a leak");

    STR_COPY(inc.causes[0].title, "Deploy of checkout 2.4.1");
    add_line(&inc, "pod", "pod shop/checkout-7d9f-57nsf OOMKilled on ip-10-0-3-8");
    copilot_memo_take(&e, &inc, &b);
    CHECK(copilot_memo_changed(&e, &inc, &a, &b, why, sizeof(why)));
    CHECK_STR(why, "checkout-7d9f-57nsf joined");
    engine_free(&e);
}

RUN_TESTS()
