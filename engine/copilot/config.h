/* The `copilot` config section and where keys come from.
 *
 *   copilot:
 *     backend: openai          # openai, openai-compat, azure, anthropic, ollama, offline
 *     model: gpt-4o-mini
 *     base_url: https://...    # else OPENAI_BASE_URL / ANTHROPIC_BASE_URL / OLLAMA_HOST
 *     api_key_file: ~/.config/lookout/openai.key   # mode 0600; else the env variable
 *     ...
 * Keys never come from argv and are never logged. */
#ifndef LOOKOUT_COPILOT_CONFIG_H
#define LOOKOUT_COPILOT_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "copilot/llm.h"
#include "core/model.h"

#define COPILOT_USER_RULES 16

struct copilot_settings {
    struct llm_settings llm; /* llm.backend "" : offline analysis only */
    bool pseudonymize;
    int max_requests_per_hour;
    int max_prompt_tokens;
    int64_t group_wait_ms; /* engine time to let an incident gather signals */
    int64_t debounce_ms;   /* least engine time between two questions about one incident */
    long connect_timeout_ms;
    long idle_timeout_ms;
    long total_timeout_ms;
    int max_retries;
    int64_t retry_after_cap_ms; /* a longer Retry-After falls back to backoff */
    int trigger_severity;       /* enum severity, default warning */
    bool auto_trigger;
    char audit_path[PATH_MAX];
    bool audit_full_text;
    char setup_error[256]; /* e.g. a missing key: shown instead of calling */
    int nuser_rules;
    struct {
        char name[40];
        char pattern[512];
    } user_rules[COPILOT_USER_RULES];
};

/* config.c's validator for the section. */
int copilot_config_check(const struct ynode *section, char *err, size_t errlen);
/* Defaults, then the config section, then backend_override (--copilot),
 * then keys and URLs from the environment or the key file. -1 with a
 * message for a config error; a missing key only sets setup_error. */
int copilot_settings_load(const struct config *cfg, const char *backend_override,
                          struct copilot_settings *s, char *err, size_t errlen);
/* Wipes the key from memory. */
void copilot_settings_clear(struct copilot_settings *s);
/* Where the TUI's `e` writes post-mortems: copilot.postmortem_dir, else
 * $XDG_STATE_HOME/lookout, else ~/.local/state/lookout. */
void copilot_postmortem_dir(const struct config *cfg, char *out, size_t outlen);

#endif
