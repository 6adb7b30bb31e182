/* The YAML config file: libyaml, the line-numbered tree and every section's
 * validator (kubernetes, prometheus, pipelines, copilot, agents, rules...). */
#include "app/app.h"
#include "core/config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fz_file(data, size, ".yaml");
    struct config c;
    char err[512];
    if (config_load(&c, path, modules, err, sizeof(err)) == 0)
        config_free(&c);
    return 0;
}
