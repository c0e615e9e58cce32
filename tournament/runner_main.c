/* main() of every compiled submission: the runner in the library does the rest. */
#include "tplr/tour_runner.h"

int main(void) { return tplr_tour_runner_main(); }
