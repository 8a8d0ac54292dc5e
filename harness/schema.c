#include "schema.h"

#include <string.h>

const char *schema_get(const char *name, size_t *len)
{
        if (name == NULL)
                return NULL;
        for (const struct schema_entry *e = schema_table; e->name != NULL; e++) {
                if (strcmp(e->name, name) == 0) {
                        if (len != NULL)
                                *len = e->len;
                        return e->text;
                }
        }
        return NULL;
}
