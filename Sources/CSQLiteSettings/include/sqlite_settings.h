#ifndef PERFDB_SQLITE_SETTINGS_H
#define PERFDB_SQLITE_SETTINGS_H

/// Turns off SQLite's allocation statistics (SQLITE_CONFIG_MEMSTATUS): with them on, as
/// Debian builds SQLite, every allocation takes one process-wide mutex, which costs a single
/// connection time and keeps two connections of one process from reading in parallel. Only
/// before SQLite starts: returns SQLITE_MISUSE (changing nothing) once it runs.
int perfdb_sqlite_unmetered(void);

#endif
