/*
 * Where s2scheck finds the data it reads at run time (the scenario suite): next to
 * its own binary when installed (/proc/self/exe's ../share/s2scheck), else the
 * build tree it was compiled from (S2S_DATA_DIR). docs/cli.md, "Files".
 */
#ifndef S2S_DATADIR_H
#define S2S_DATADIR_H

/* The data folder: PREFIX/share/s2scheck when the binary runs from PREFIX/bin and
 * that folder holds scenarios/, else the compiled-in S2S_DATA_DIR. */
const char *data_dir(void);

/* data_dir()/scenarios: the default suite (--scenarios overrides it). */
const char *data_scenarios_dir(void);

#endif
