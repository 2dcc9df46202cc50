#include "sqlite_settings.h"

#include <sqlite3.h>

int perfdb_sqlite_unmetered(void) {
    // sqlite3_config is variadic: Swift cannot call it.
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
