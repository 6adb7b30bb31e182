/* The cluster view (cluster.c), its describe-level detail
 * (cluster_detail.c) and its grouping of pods by owner (cluster_group.c):
 * what tui.c and keys.c call, and what the three files share. */
#ifndef LOOKOUT_TUI_CLUSTER_H
#define LOOKOUT_TUI_CLUSTER_H

#include <stdbool.h>

#include "ui.h"

enum cl_kind { CL_NODE, CL_DEPLOY, CL_POD, CL_GROUP };

/* An object of the view by table key: rows move between frames, keys do not. */
struct cl_sel {
    enum cl_kind kind;
    char key[OBJ_LEN + NAME_LEN + 2];
};

/* Draws the view over the body; its selection and filter live in
 * u->cluster_view (the filter is a plain case-insensitive substring). */
void ui_draw_cluster(struct ui *u, struct rect r);
/* The object under the bar in the last frame; false when none. */
bool ui_cluster_selected(struct cl_sel *out);
/* Describe text of the selected object into out, its title into title;
 * false when nothing is selected. */
bool ui_cluster_detail(struct ui *u, struct buf *out, char *title, size_t titlelen);
/* The copilot subject of the selected object ("pod" / "node" and its key). */
bool ui_cluster_subject(struct ui *u, char *kind, size_t kindlen, char *key, size_t keylen);
/* Enter on a group row opens or closes it; false when the bar is not on
 * a group (Enter then describes). */
bool ui_cluster_enter(struct ui *u);
/* The o key: pods grouped by owner (the default) or one row per pod. */
void ui_cluster_toggle_group(struct ui *u);
/* Frees the row buffer (at exit). */
void ui_cluster_free(void);

/* Shared by cluster.c, cluster_events.c and cluster_detail.c. */
struct cl_group;
const char *cl_key(enum cl_kind kind, const void *obj);
const void *cl_lookup(struct ui *u, const struct cl_sel *s);
/* The owner under the bar in the last frame when it is a group, else NULL. */
const struct cl_group *cl_selected_group(void);
bool cl_event_about(const struct k8s_event *ev, const struct cl_sel *s, const void *obj);
/* The pane of Warning events about sel (grp when sel is a group), newest
 * first, its count in the title (tui/cluster_events.c). */
void cl_draw_events(struct ui *u, struct rect r, const struct cl_sel *sel,
                    const struct cl_group *grp);

/* ---- cluster_group.c: one row per (namespace, owner) ---- */

#define CL_GROUP_REASONS 6

struct cl_group_reason {
    const char *reason; /* interned problem or a status literal */
    int n;
};

/* The pods of one owner that matched the filter, summed in the frame's pass. */
struct cl_group {
    const char *ns, *kind, *name; /* interned (kind may be "Deployment") */
    int worst;                    /* the lowest (most urgent) rank of its pods */
    int pods, broken, ready;
    int nodes;           /* distinct nodes of the broken pods */
    bool expanded;       /* the user opened it: its pods are rows under it */
    int first, nmembers; /* its pods' rows in cluster.c's list, when expanded */
    int ord_lo, ord_hi;  /* of those, the rows sure to be in order */
    struct cl_group_reason why[CL_GROUP_REASONS]; /* of the pods not healthy */
    int why_other;                                /* pods whose reason had no slot */
};

/* Starts a frame: no groups. */
void cl_groups_begin(void);
/* Counts the pod into its owner's group; its index, or -1 for a pod with no
 * owner (a row of its own). why: the status shown for a pod not healthy. */
int cl_group_add(const struct k8s_pod *p, int rank, bool healthy, const char *why);
int cl_groups_count(void);
struct cl_group *cl_group_at(int i);
bool cl_group_same(const struct cl_group *a, const struct cl_group *b);
/* Opens or closes the group for the frames to come; true when now open. */
bool cl_group_toggle(const struct cl_group *g);
/* "deploy", "sts", ... for the KIND column. */
const char *cl_group_kind_short(const struct cl_group *g);
/* "4,500 pods: 4,312 CrashLoopBackOff, 188 Pending · 0 ready · on 3 nodes",
 * shortened to fit width cells: nodes, ready and reasons go, the count never. */
void cl_group_summary(struct ui *u, const struct cl_group *g, int width, char *out, size_t outlen);
void cl_groups_free(void);

#endif
