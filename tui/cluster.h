/* The cluster view (cluster.c) and its describe-level detail
 * (cluster_detail.c): what tui.c and keys.c call, and what the two files
 * share. */
#ifndef LOOKOUT_TUI_CLUSTER_H
#define LOOKOUT_TUI_CLUSTER_H

#include <stdbool.h>

#include "ui.h"

enum cl_kind { CL_NODE, CL_DEPLOY, CL_POD };

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
/* Frees the row buffer (at exit). */
void ui_cluster_free(void);

/* Shared by cluster.c and cluster_detail.c. */
const char *cl_key(enum cl_kind kind, const void *obj);
const void *cl_lookup(struct ui *u, const struct cl_sel *s);
bool cl_event_about(const struct k8s_event *ev, const struct cl_sel *s, const void *obj);

#endif
