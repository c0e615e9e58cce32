/* The tournament's SQLite store: submissions, evaluations, payments. */
#include "tplr/tour_store.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tplr/hash.h"
#include "tplr/timeutil.h"

struct tplr_tour_store {
    sqlite3 *db;
    pthread_mutex_t mu;
};

static const char *const schema =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS submissions(id INTEGER PRIMARY KEY AUTOINCREMENT, hotkey TEXT NOT NULL,"
    " uid INTEGER NOT NULL, code BLOB NOT NULL, code_sha256 TEXT NOT NULL UNIQUE, fingerprint BLOB NOT NULL,"
    " status TEXT NOT NULL CHECK(status IN ('pending','evaluating','finished','failed','error')),"
    " verdict TEXT NOT NULL DEFAULT '', score REAL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
    " error TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX IF NOT EXISTS submissions_by_status ON submissions(status, id);"
    "CREATE TABLE IF NOT EXISTS evaluations(id INTEGER PRIMARY KEY, submission_id INTEGER NOT NULL"
    " REFERENCES submissions(id), run INTEGER NOT NULL, verdict TEXT NOT NULL, seed INTEGER NOT NULL,"
    " tokens INTEGER NOT NULL, seconds REAL, tps REAL, loss REAL, ref_loss REAL, logits_diff REAL,"
    " weights_rel_l2 REAL, detail TEXT NOT NULL, created_ms INTEGER NOT NULL, UNIQUE(submission_id, run));"
    "CREATE TABLE IF NOT EXISTS payments(block INTEGER NOT NULL, idx INTEGER NOT NULL, submission_id INTEGER NOT NULL"
    " UNIQUE REFERENCES submissions(id), payer TEXT NOT NULL, amount INTEGER NOT NULL, created_ms INTEGER NOT NULL,"
    " PRIMARY KEY(block, idx)) WITHOUT ROWID;";

static const char *const status_names[] = {"pending", "evaluating", "finished", "failed", "error"};

const char *tplr_tour_status_name(tplr_tour_status s)
{
    return (unsigned)s < 5 ? status_names[s] : "unknown";
}

int tplr_tour_status_public(tplr_tour_status st) { return st == TPLR_TOUR_FINISHED || st == TPLR_TOUR_FAILED; }

static tplr_tour_status status_parse(const char *t)
{
    for (int i = 0; i < 5; i++)
        if (t && !strcmp(t, status_names[i]))
            return (tplr_tour_status)i;
    return TPLR_TOUR_ERROR;
}

static int64_t now_ms(void) { return (int64_t)(tplr_wall_time() * 1000); }

static tplr_err db_fail(tplr_tour_store *s, const char *what)
{
    return tplr_fail(TPLR_EIO, "tournament database: %s: %s", what, sqlite3_errmsg(s->db));
}

static tplr_err exec(tplr_tour_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        tplr_err e = tplr_fail(TPLR_EIO, "tournament database: %s: %s", sql, msg ? msg : "failed");
        sqlite3_free(msg);
        return e;
    }
    return TPLR_OK;
}

static tplr_err prepare(tplr_tour_store *s, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
        return db_fail(s, "preparing a statement");
    return TPLR_OK;
}

static tplr_err check_version(tplr_tour_store *s)
{
    sqlite3_stmt *st;
    TPLR_TRY(prepare(s, "SELECT value FROM meta WHERE key = 'schema'", &st));
    tplr_err e = TPLR_OK;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *v = (const char *)sqlite3_column_text(st, 0);
        if (!v || atoi(v) != TPLR_TOUR_STORE_VERSION)
            e = tplr_fail(TPLR_EMISMATCH, "the tournament database has schema version %s; this tplr uses %d "
                          "(use a new --db file)", v ? v : "?", TPLR_TOUR_STORE_VERSION);
    }
    sqlite3_finalize(st);
    return e;
}

tplr_err tplr_tour_store_open(const char *path, tplr_tour_store **out)
{
    tplr_tour_store *s = calloc(1, sizeof *s);
    if (!s)
        return tplr_fail(TPLR_ENOMEM, "out of memory");
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        tplr_err e = tplr_fail(TPLR_EIO, "cannot open the tournament database %s: %s", path,
                               s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite3_close(s->db);
        free(s);
        return e;
    }
    sqlite3_busy_timeout(s->db, 5000);
    pthread_mutex_init(&s->mu, NULL);
    char reset[160];
    snprintf(reset, sizeof reset, "UPDATE submissions SET status = 'pending', updated_ms = %lld WHERE status = 'evaluating'",
             (long long)now_ms());
    tplr_err e = exec(s, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL");
    if (!e)
        e = exec(s, "BEGIN IMMEDIATE");
    if (!e) {
        e = exec(s, schema);
        if (!e)
            e = check_version(s);
        if (!e)
            e = exec(s, "INSERT OR IGNORE INTO meta(key, value) VALUES('schema', '1')");
        if (!e)
            e = exec(s, reset);
        e = e ? (exec(s, "ROLLBACK"), e) : exec(s, "COMMIT");
    }
    if (e) {
        tplr_tour_store_close(s);
        return e;
    }
    *out = s;
    return TPLR_OK;
}

void tplr_tour_store_close(tplr_tour_store *s)
{
    if (!s)
        return;
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* The highest similarity of fp to an earlier submission of another hotkey. */
static tplr_err most_similar(tplr_tour_store *s, const char *hotkey, const tplr_tour_fp *fp, int64_t *best_id,
                             double *best)
{
    sqlite3_stmt *st;
    TPLR_TRY(prepare(s, "SELECT id, fingerprint FROM submissions WHERE hotkey <> ?1 ORDER BY id", &st));
    sqlite3_bind_text(st, 1, hotkey, -1, SQLITE_STATIC);
    *best = -1;
    *best_id = 0;
    tplr_err e = TPLR_OK;
    int rc;
    while (!e && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        tplr_tour_fp other;
        e = tplr_tour_fp_from_bytes(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &other);
        if (e)
            break;
        double sim = tplr_tour_similarity(fp, &other);
        tplr_tour_fp_free(&other);
        if (sim > *best) { /* strict: the earliest of equally similar ones */
            *best = sim;
            *best_id = sqlite3_column_int64(st, 0);
        }
    }
    if (!e && rc != SQLITE_DONE)
        e = db_fail(s, "reading fingerprints");
    sqlite3_finalize(st);
    return e;
}

static int64_t find_code(tplr_tour_store *s, const char *sha)
{
    sqlite3_stmt *st;
    if (prepare(s, "SELECT id FROM submissions WHERE code_sha256 = ?1", &st))
        return 0;
    sqlite3_bind_text(st, 1, sha, -1, SQLITE_STATIC);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return id;
}

static int64_t payment_owner(tplr_tour_store *s, uint64_t block, uint32_t index)
{
    sqlite3_stmt *st;
    if (prepare(s, "SELECT submission_id FROM payments WHERE block = ?1 AND idx = ?2", &st))
        return 0;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)block);
    sqlite3_bind_int64(st, 2, index);
    int64_t id = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return id;
}

static tplr_err refuse(tplr_tour_refusal *why, const char *code, int64_t other, double sim, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static tplr_err refuse(tplr_tour_refusal *why, const char *code, int64_t other, double sim, const char *fmt, ...)
{
    why->code = code;
    why->other_id = other;
    why->similarity = sim;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return tplr_fail(TPLR_EREFUSED, "%s", msg);
}

static tplr_err insert(tplr_tour_store *s, const tplr_tour_new *n, const char *hotkey, const char *sha, int64_t *id)
{
    unsigned char *fpb = NULL;
    size_t fpn = 0;
    TPLR_TRY(tplr_tour_fp_to_bytes(n->fp, &fpb, &fpn));
    sqlite3_stmt *st;
    tplr_err e = prepare(s, "INSERT INTO submissions(hotkey, uid, code, code_sha256, fingerprint, status, created_ms,"
                            " updated_ms) VALUES(?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?6)", &st);
    if (e) {
        free(fpb);
        return e;
    }
    int64_t t = now_ms();
    sqlite3_bind_text(st, 1, hotkey, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, n->uid);
    sqlite3_bind_blob(st, 3, n->code, (int)n->code_len, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, sha, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 5, fpb, (int)fpn, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, t);
    if (sqlite3_step(st) != SQLITE_DONE)
        e = db_fail(s, "adding a submission");
    sqlite3_finalize(st);
    free(fpb);
    if (e)
        return e;
    *id = sqlite3_last_insert_rowid(s->db);
    if (!n->has_payment)
        return TPLR_OK;
    char payer[TPLR_ADDRESS_MAX];
    tplr_address_encode(n->payer, payer);
    TPLR_TRY(prepare(s, "INSERT INTO payments(block, idx, submission_id, payer, amount, created_ms)"
                        " VALUES(?1, ?2, ?3, ?4, ?5, ?6)", &st));
    sqlite3_bind_int64(st, 1, (sqlite3_int64)n->pay_block);
    sqlite3_bind_int64(st, 2, n->pay_index);
    sqlite3_bind_int64(st, 3, *id);
    sqlite3_bind_text(st, 4, payer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, n->paid);
    sqlite3_bind_int64(st, 6, t);
    if (sqlite3_step(st) != SQLITE_DONE)
        e = db_fail(s, "recording the payment");
    sqlite3_finalize(st);
    return e;
}

static tplr_err add_locked(tplr_tour_store *s, const tplr_tour_new *n, double threshold, int64_t *id,
                           tplr_tour_refusal *why)
{
    char hotkey[TPLR_ADDRESS_MAX], sha[65];
    tplr_address_encode(n->hotkey, hotkey);
    tplr_hex(sha, n->code_sha256, 32);
    int64_t other = find_code(s, sha);
    if (other)
        return refuse(why, "duplicate_code", other, 1.0, "this exact code was submitted before as submission %lld",
                      (long long)other);
    if (n->has_payment && (other = payment_owner(s, n->pay_block, n->pay_index)))
        return refuse(why, "payment_used", other, 0, "transfer %llu-%u already paid for submission %lld: pay the fee "
                      "again with a new transfer", (unsigned long long)n->pay_block, n->pay_index, (long long)other);
    double sim;
    TPLR_TRY(most_similar(s, hotkey, n->fp, &other, &sim));
    if (other && sim >= threshold)
        return refuse(why, "near_copy", other, sim, "the code is %.1f%% similar to submission %lld of another miner "
                      "(the limit is %.1f%%): the earlier submission keeps it", 100 * sim, (long long)other,
                      100 * threshold);
    return insert(s, n, hotkey, sha, id);
}

tplr_err tplr_tour_store_add(tplr_tour_store *s, const tplr_tour_new *n, double copy_threshold, int64_t *id,
                             tplr_tour_refusal *why)
{
    memset(why, 0, sizeof *why);
    if (n->code_len > (size_t)1 << 30)
        return tplr_fail(TPLR_ETOOLARGE, "a submission's source is limited to 1 GiB");
    pthread_mutex_lock(&s->mu);
    tplr_err e = exec(s, "BEGIN IMMEDIATE");
    if (!e) {
        e = add_locked(s, n, copy_threshold, id, why);
        if (e) {
            tplr_err keep = e;
            char msg[TPLR_ERRMSG_MAX];
            snprintf(msg, sizeof msg, "%s", tplr_errmsg());
            exec(s, "ROLLBACK");
            e = tplr_fail(keep, "%s", msg);
        } else {
            e = exec(s, "COMMIT");
        }
    }
    pthread_mutex_unlock(&s->mu);
    return e;
}

int tplr_tour_store_payment_used(tplr_tour_store *s, uint64_t block, uint32_t index)
{
    pthread_mutex_lock(&s->mu);
    int used = payment_owner(s, block, index) != 0;
    pthread_mutex_unlock(&s->mu);
    return used;
}

#define SUB_COLUMNS                                                                                               \
    "s.id, s.hotkey, s.uid, s.code_sha256, s.status, s.verdict, s.score, s.created_ms, s.updated_ms, s.error,"     \
    " (SELECT COUNT(*) FROM evaluations e WHERE e.submission_id = s.id), p.block, p.idx, p.amount"                 \
    " FROM submissions s LEFT JOIN payments p ON p.submission_id = s.id"

static void copy_text(char *dst, size_t cap, const unsigned char *src)
{
    snprintf(dst, cap, "%s", src ? (const char *)src : "");
}

static void read_submission(sqlite3_stmt *st, tplr_tour_submission *o)
{
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(st, 0);
    copy_text(o->hotkey, sizeof o->hotkey, sqlite3_column_text(st, 1));
    o->uid = sqlite3_column_int(st, 2);
    copy_text(o->code_sha256, sizeof o->code_sha256, sqlite3_column_text(st, 3));
    o->status = status_parse((const char *)sqlite3_column_text(st, 4));
    copy_text(o->verdict, sizeof o->verdict, sqlite3_column_text(st, 5));
    o->has_score = sqlite3_column_type(st, 6) != SQLITE_NULL;
    o->score = o->has_score ? sqlite3_column_double(st, 6) : 0;
    o->created_ms = sqlite3_column_int64(st, 7);
    o->updated_ms = sqlite3_column_int64(st, 8);
    copy_text(o->error, sizeof o->error, sqlite3_column_text(st, 9));
    o->n_evals = sqlite3_column_int(st, 10);
    o->has_payment = sqlite3_column_type(st, 11) != SQLITE_NULL;
    if (o->has_payment) {
        o->pay_block = (uint64_t)sqlite3_column_int64(st, 11);
        o->pay_index = (uint32_t)sqlite3_column_int64(st, 12);
        o->paid = sqlite3_column_int64(st, 13);
    }
}

tplr_err tplr_tour_store_get(tplr_tour_store *s, int64_t id, tplr_tour_submission *out)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    tplr_err e = prepare(s, "SELECT " SUB_COLUMNS " WHERE s.id = ?1", &st);
    if (!e) {
        sqlite3_bind_int64(st, 1, id);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            read_submission(st, out);
        else
            e = rc == SQLITE_DONE ? tplr_fail(TPLR_ENOTFOUND, "there is no submission %lld", (long long)id)
                                  : db_fail(s, "reading a submission");
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return e;
}

tplr_err tplr_tour_store_code(tplr_tour_store *s, int64_t id, char **code, size_t *len)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    tplr_err e = prepare(s, "SELECT code FROM submissions WHERE id = ?1", &st);
    if (!e) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            size_t n = (size_t)sqlite3_column_bytes(st, 0);
            char *p = malloc(n + 1);
            if (p) {
                memcpy(p, sqlite3_column_blob(st, 0), n);
                p[n] = '\0';
                *code = p;
                *len = n;
            } else {
                e = tplr_fail(TPLR_ENOMEM, "out of memory");
            }
        } else {
            e = tplr_fail(TPLR_ENOTFOUND, "there is no submission %lld", (long long)id);
        }
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return e;
}

tplr_err tplr_tour_store_claim(tplr_tour_store *s, int64_t *id)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    tplr_err e = prepare(s, "UPDATE submissions SET status = 'evaluating', updated_ms = ?1 WHERE id ="
                            " (SELECT id FROM submissions WHERE status = 'pending' ORDER BY id LIMIT 1) RETURNING id", &st);
    if (!e) {
        sqlite3_bind_int64(st, 1, now_ms());
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            *id = sqlite3_column_int64(st, 0);
        else
            e = rc == SQLITE_DONE ? tplr_fail(TPLR_ENOTFOUND, "no submission is pending") : db_fail(s, "claiming");
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return e;
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static tplr_err add_run(tplr_tour_store *s, int64_t id, const tplr_tour_eval_row *r)
{
    sqlite3_stmt *st;
    TPLR_TRY(prepare(s, "INSERT INTO evaluations(submission_id, run, verdict, seed, tokens, seconds, tps, loss, ref_loss,"
                        " logits_diff, weights_rel_l2, detail, created_ms) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
                     &st));
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int(st, 2, r->run);
    sqlite3_bind_text(st, 3, r->verdict, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)r->seed);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)r->tokens);
    bind_real(st, 6, r->seconds);
    bind_real(st, 7, r->tps);
    bind_real(st, 8, r->loss);
    bind_real(st, 9, r->ref_loss);
    bind_real(st, 10, r->logits_diff);
    bind_real(st, 11, r->weights_rel_l2);
    sqlite3_bind_text(st, 12, r->detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 13, r->created_ms ? r->created_ms : now_ms());
    tplr_err e = sqlite3_step(st) == SQLITE_DONE ? TPLR_OK : db_fail(s, "recording an evaluation run");
    sqlite3_finalize(st);
    return e;
}

static tplr_err finish_locked(tplr_tour_store *s, int64_t id, tplr_tour_status status, const char *verdict,
                              int has_score, double score, const tplr_tour_eval_row *runs, int n_runs, const char *error)
{
    for (int i = 0; i < n_runs; i++)
        TPLR_TRY(add_run(s, id, &runs[i]));
    sqlite3_stmt *st;
    TPLR_TRY(prepare(s, "UPDATE submissions SET status = ?2, verdict = ?3, score = ?4, error = ?5, updated_ms = ?6"
                        " WHERE id = ?1", &st));
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, tplr_tour_status_name(status), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, verdict ? verdict : "", -1, SQLITE_STATIC);
    if (has_score && isfinite(score))
        sqlite3_bind_double(st, 4, score);
    else
        sqlite3_bind_null(st, 4);
    sqlite3_bind_text(st, 5, error ? error : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now_ms());
    tplr_err e = sqlite3_step(st) == SQLITE_DONE ? TPLR_OK : db_fail(s, "recording a result");
    if (!e && sqlite3_changes(s->db) != 1)
        e = tplr_fail(TPLR_ENOTFOUND, "there is no submission %lld", (long long)id);
    sqlite3_finalize(st);
    return e;
}

tplr_err tplr_tour_store_finish(tplr_tour_store *s, int64_t id, tplr_tour_status status, const char *verdict,
                                int has_score, double score, const tplr_tour_eval_row *runs, int n_runs,
                                const char *error)
{
    pthread_mutex_lock(&s->mu);
    tplr_err e = exec(s, "BEGIN IMMEDIATE");
    if (!e) {
        e = finish_locked(s, id, status, verdict, has_score, score, runs, n_runs, error);
        if (e) {
            char msg[TPLR_ERRMSG_MAX];
            snprintf(msg, sizeof msg, "%s", tplr_errmsg());
            exec(s, "ROLLBACK");
            tplr_fail(e, "%s", msg);
        } else {
            e = exec(s, "COMMIT");
        }
    }
    pthread_mutex_unlock(&s->mu);
    return e;
}

static double column_real(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* Runs a query row by row into a growing array of elem bytes per row. */
typedef void (*row_reader)(sqlite3_stmt *st, void *dst);

static tplr_err collect(tplr_tour_store *s, sqlite3_stmt *st, size_t elem, row_reader read, void **out, int *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    char *buf = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if ((size_t)*n == cap) {
            cap = cap ? 2 * cap : 16;
            char *grown = realloc(buf, cap * elem);
            if (!grown) {
                free(buf);
                return tplr_fail(TPLR_ENOMEM, "out of memory");
            }
            buf = grown;
        }
        read(st, buf + (size_t)*n * elem);
        (*n)++;
    }
    if (rc != SQLITE_DONE) {
        free(buf);
        *n = 0;
        return db_fail(s, "reading rows");
    }
    *out = buf;
    return TPLR_OK;
}

static void read_run(sqlite3_stmt *st, void *dst)
{
    tplr_tour_eval_row *r = dst;
    memset(r, 0, sizeof *r);
    r->submission_id = sqlite3_column_int64(st, 0);
    r->run = sqlite3_column_int(st, 1);
    copy_text(r->verdict, sizeof r->verdict, sqlite3_column_text(st, 2));
    r->seed = (uint64_t)sqlite3_column_int64(st, 3);
    r->tokens = (uint64_t)sqlite3_column_int64(st, 4);
    r->seconds = column_real(st, 5);
    r->tps = column_real(st, 6);
    r->loss = column_real(st, 7);
    r->ref_loss = column_real(st, 8);
    r->logits_diff = column_real(st, 9);
    r->weights_rel_l2 = column_real(st, 10);
    copy_text(r->detail, sizeof r->detail, sqlite3_column_text(st, 11));
    r->created_ms = sqlite3_column_int64(st, 12);
}

static void read_sub(sqlite3_stmt *st, void *dst) { read_submission(st, dst); }

static void read_scored(sqlite3_stmt *st, void *dst)
{
    tplr_tour_scored *r = dst;
    r->id = sqlite3_column_int64(st, 0);
    r->score = sqlite3_column_double(st, 1);
}

/* Runs sql (one integer parameter, or none when p < 0) and collects its rows. */
static tplr_err query(tplr_tour_store *s, const char *sql, int64_t p, size_t elem, row_reader read, void **out, int *n)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    tplr_err e = prepare(s, sql, &st);
    if (!e) {
        if (p >= 0)
            sqlite3_bind_int64(st, 1, p);
        e = collect(s, st, elem, read, out, n);
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return e;
}

tplr_err tplr_tour_store_evaluations(tplr_tour_store *s, int64_t id, tplr_tour_eval_row **rows, int *n)
{
    return query(s, "SELECT submission_id, run, verdict, seed, tokens, seconds, tps, loss, ref_loss, logits_diff,"
                    " weights_rel_l2, detail, created_ms FROM evaluations WHERE submission_id = ?1 ORDER BY run",
                 id, sizeof **rows, read_run, (void **)rows, n);
}

tplr_err tplr_tour_store_list(tplr_tour_store *s, int limit, tplr_tour_submission **subs, int *n)
{
    if (limit < 1)
        return tplr_fail(TPLR_EINVAL, "the leaderboard limit must be at least 1");
    return query(s, "SELECT " SUB_COLUMNS " ORDER BY s.score IS NULL, s.score DESC,"
                    " CASE WHEN s.score IS NULL THEN -s.id ELSE s.id END LIMIT ?1",
                 limit, sizeof **subs, read_sub, (void **)subs, n);
}

tplr_err tplr_tour_store_scored(tplr_tour_store *s, tplr_tour_scored **out, int *n)
{
    return query(s, "SELECT id, score FROM submissions WHERE status = 'finished' AND score > 0 ORDER BY id", -1,
                 sizeof **out, read_scored, (void **)out, n);
}

tplr_err tplr_tour_store_pending(tplr_tour_store *s, int *n)
{
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st;
    tplr_err e = prepare(s, "SELECT COUNT(*) FROM submissions WHERE status IN ('pending', 'evaluating')", &st);
    if (!e) {
        *n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return e;
}

tplr_err tplr_tour_store_winner(tplr_tour_store *s, double threshold, int64_t *id)
{
    tplr_tour_scored *sc;
    int n;
    TPLR_TRY(tplr_tour_store_scored(s, &sc, &n));
    int w = tplr_tour_pick_winner(sc, n, threshold);
    *id = w >= 0 ? sc[w].id : 0;
    free(sc);
    return TPLR_OK;
}
