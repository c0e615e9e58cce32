/* The entry point of a submission's binary (tournament/runner_main.c calls
 * it): runs inner_steps against the harness over fds 3 and 4. */
#ifndef TPLR_TOUR_RUNNER_H
#define TPLR_TOUR_RUNNER_H

int tplr_tour_runner_main(void);

#endif
