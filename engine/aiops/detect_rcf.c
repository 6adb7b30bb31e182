/* A streaming robust random cut forest (Guha et al., ICML 2016): each tree
 * holds the same sliding window of the last tree_size points; a new point
 * is inserted by the random-cut rule and the oldest evicted, both in
 * O(depth * dim). The score is the collusive displacement (CoDisp) of the
 * new point averaged over the trees: how many points its removal would
 * move, relative to the subtree it isolates. Memory is fixed at creation. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "aiops/detect.h"

struct rcf_node {
    int left, right, parent; /* -1: none */
    int cut_dim;             /* -1: leaf */
    double cut;
    int count; /* leaves below */
    int slot;  /* leaf: the point's slot in the window */
};

struct rcf_tree {
    struct rcf_node *nodes;
    double *lo, *hi; /* bounding box per node: nodes * dim */
    int *leaf_of;    /* slot -> leaf node */
    int root, free_head;
};

struct rcf {
    int dim, ntrees, size;
    double *points; /* size * dim, a ring */
    int npoints, next;
    struct rcf_tree *trees;
    uint64_t rng;
    size_t bytes;
};

static double uniform(struct rcf *f)
{
    f->rng ^= f->rng >> 12;
    f->rng ^= f->rng << 25;
    f->rng ^= f->rng >> 27;
    return (double)((f->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static void *track(struct rcf *f, size_t n)
{
    f->bytes += n;
    return calloc(1, n);
}

struct rcf *rcf_new(const struct detect_params *p, int dim)
{
    struct rcf *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->bytes = sizeof(*f);
    f->dim = dim < 1 ? 1 : dim;
    f->ntrees = p->trees < 1 ? 1 : p->trees;
    f->size = p->tree_size < 4 ? 4 : p->tree_size;
    f->rng = p->seed ? p->seed : 42;
    f->points = track(f, sizeof(double) * (size_t)f->size * (size_t)f->dim);
    f->trees = track(f, sizeof(struct rcf_tree) * (size_t)f->ntrees);
    if (!f->points || !f->trees) {
        rcf_free(f);
        return NULL;
    }
    size_t nodes = 2 * (size_t)f->size;
    for (int t = 0; t < f->ntrees; t++) {
        struct rcf_tree *tr = &f->trees[t];
        tr->nodes = track(f, sizeof(struct rcf_node) * nodes);
        tr->lo = track(f, sizeof(double) * nodes * (size_t)f->dim);
        tr->hi = track(f, sizeof(double) * nodes * (size_t)f->dim);
        tr->leaf_of = track(f, sizeof(int) * (size_t)f->size);
        if (!tr->nodes || !tr->lo || !tr->hi || !tr->leaf_of) {
            rcf_free(f);
            return NULL;
        }
        for (size_t i = 0; i < nodes; i++)
            tr->nodes[i].left = i + 1 < nodes ? (int)i + 1 : -1; /* free list */
        tr->free_head = 0;
        tr->root = -1;
    }
    return f;
}

void rcf_free(struct rcf *f)
{
    if (!f)
        return;
    for (int t = 0; f->trees && t < f->ntrees; t++) {
        free(f->trees[t].nodes);
        free(f->trees[t].lo);
        free(f->trees[t].hi);
        free(f->trees[t].leaf_of);
    }
    free(f->trees);
    free(f->points);
    free(f);
}

size_t rcf_memory(const struct rcf *f)
{
    return f->bytes;
}

static int node_alloc(struct rcf_tree *tr)
{
    int n = tr->free_head;
    tr->free_head = tr->nodes[n].left;
    return n;
}

static void node_release(struct rcf_tree *tr, int n)
{
    tr->nodes[n].left = tr->free_head;
    tr->free_head = n;
}

static void replace_child(struct rcf_tree *tr, int parent, int old, int new)
{
    if (parent < 0)
        tr->root = new;
    else if (tr->nodes[parent].left == old)
        tr->nodes[parent].left = new;
    else
        tr->nodes[parent].right = new;
    tr->nodes[new].parent = parent;
}

static void refit(struct rcf *f, struct rcf_tree *tr, int n)
{
    struct rcf_node *x = &tr->nodes[n];
    const double *ll = tr->lo + (size_t)x->left * f->dim, *rl = tr->lo + (size_t)x->right * f->dim;
    const double *lh = tr->hi + (size_t)x->left * f->dim, *rh = tr->hi + (size_t)x->right * f->dim;
    for (int d = 0; d < f->dim; d++) {
        tr->lo[(size_t)n * f->dim + d] = fmin(ll[d], rl[d]);
        tr->hi[(size_t)n * f->dim + d] = fmax(lh[d], rh[d]);
    }
    x->count = tr->nodes[x->left].count + tr->nodes[x->right].count;
}

static void tree_delete(struct rcf *f, struct rcf_tree *tr, int slot)
{
    int leaf = tr->leaf_of[slot];
    int parent = tr->nodes[leaf].parent;
    if (tr->nodes[leaf].count > 1) {
        /* One of several identical points: only the counts change. */
        tr->nodes[leaf].count--;
        for (int n = parent; n >= 0; n = tr->nodes[n].parent)
            tr->nodes[n].count--;
        return;
    }
    node_release(tr, leaf);
    if (parent < 0) {
        tr->root = -1;
        return;
    }
    struct rcf_node *p = &tr->nodes[parent];
    int sibling = p->left == leaf ? p->right : p->left;
    int grand = p->parent;
    replace_child(tr, grand, parent, sibling);
    node_release(tr, parent);
    for (int n = grand; n >= 0; n = tr->nodes[n].parent)
        refit(f, tr, n);
}

static int new_leaf(struct rcf *f, struct rcf_tree *tr, int slot, const double *x)
{
    int n = node_alloc(tr);
    tr->nodes[n] = (struct rcf_node){
        .left = -1, .right = -1, .parent = -1, .cut_dim = -1, .count = 1, .slot = slot};
    memcpy(tr->lo + (size_t)n * f->dim, x, sizeof(double) * (size_t)f->dim);
    memcpy(tr->hi + (size_t)n * f->dim, x, sizeof(double) * (size_t)f->dim);
    tr->leaf_of[slot] = n;
    return n;
}

static void tree_insert(struct rcf *f, struct rcf_tree *tr, int slot, const double *x)
{
    if (tr->root < 0) {
        tr->root = new_leaf(f, tr, slot, x);
        return;
    }
    int n = tr->root;
    for (;;) {
        double *lo = tr->lo + (size_t)n * f->dim, *hi = tr->hi + (size_t)n * f->dim;
        double total = 0;
        for (int d = 0; d < f->dim; d++)
            total += fmax(hi[d], x[d]) - fmin(lo[d], x[d]);
        if (total == 0 && tr->nodes[n].cut_dim < 0) {
            /* The same point again: the leaf counts it (flat series stay shallow). */
            tr->nodes[n].count++;
            tr->leaf_of[slot] = n;
            for (int a = tr->nodes[n].parent; a >= 0; a = tr->nodes[a].parent)
                tr->nodes[a].count++;
            return;
        }
        /* Cut the box grown to include x, dimension chosen by its range. */
        int dim = 0;
        double cut = x[0];
        if (total > 0) {
            double r = uniform(f) * total;
            for (dim = 0; dim < f->dim; dim++) {
                double span = fmax(hi[dim], x[dim]) - fmin(lo[dim], x[dim]);
                if (r < span || dim == f->dim - 1) {
                    cut = fmin(lo[dim], x[dim]) + fmin(r, span);
                    break;
                }
                r -= span;
            }
        }
        bool x_left = x[dim] <= cut;
        bool separates = x_left ? cut < lo[dim] : cut >= hi[dim];
        if (separates || tr->nodes[n].cut_dim < 0) {
            int leaf = new_leaf(f, tr, slot, x);
            int in = node_alloc(tr);
            int parent = tr->nodes[n].parent;
            tr->nodes[in] = (struct rcf_node){.parent = -1, .cut_dim = dim, .cut = cut};
            if (!separates)
                x_left = x[dim] < lo[dim] || (x[dim] == lo[dim] && uniform(f) < 0.5);
            tr->nodes[in].left = x_left ? leaf : n;
            tr->nodes[in].right = x_left ? n : leaf;
            replace_child(tr, parent, n, in);
            tr->nodes[leaf].parent = in;
            tr->nodes[n].parent = in;
            refit(f, tr, in);
            for (int a = tr->nodes[in].parent; a >= 0; a = tr->nodes[a].parent)
                refit(f, tr, a);
            return;
        }
        n = x[tr->nodes[n].cut_dim] <= tr->nodes[n].cut ? tr->nodes[n].left : tr->nodes[n].right;
    }
}

static double codisp(const struct rcf_tree *tr, int leaf)
{
    double best = 0;
    for (int n = leaf; tr->nodes[n].parent >= 0; n = tr->nodes[n].parent) {
        const struct rcf_node *p = &tr->nodes[tr->nodes[n].parent];
        int sibling = p->left == n ? p->right : p->left;
        double d = (double)tr->nodes[sibling].count / tr->nodes[n].count;
        if (d > best)
            best = d;
    }
    return best;
}

double rcf_update(struct rcf *f, const double *x)
{
    for (int d = 0; d < f->dim; d++)
        if (!isfinite(x[d]))
            return 0;
    int slot = f->next;
    if (f->npoints == f->size)
        for (int t = 0; t < f->ntrees; t++)
            tree_delete(f, &f->trees[t], slot);
    else
        f->npoints++;
    memcpy(f->points + (size_t)slot * f->dim, x, sizeof(double) * (size_t)f->dim);
    f->next = (slot + 1) % f->size;
    double sum = 0;
    for (int t = 0; t < f->ntrees; t++) {
        tree_insert(f, &f->trees[t], slot, x);
        sum += codisp(&f->trees[t], f->trees[t].leaf_of[slot]);
    }
    return sum / f->ntrees;
}
