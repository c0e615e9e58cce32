/* Graceful stop: SIGINT and SIGTERM set a flag that long loops poll, so they
 * can save their state and exit cleanly. A second signal exits at once. */
#ifndef TPLR_SIGNALS_H
#define TPLR_SIGNALS_H

void tplr_signals_install(void);
int tplr_stop_requested(void);

#endif
