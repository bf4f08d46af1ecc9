// Composition root: builds the services from a validated Config, starts the workers, handles
// SIGINT/SIGTERM (stop accepting, drain for the grace period, close the rest) and returns the
// process exit code.
#pragma once

#include "config/config.hpp"

namespace rustsocks::app {

// Throws std::exception on start-up failures (bind, resources); main prints and exits 1.
int run(const config::Config& config);

// Raises the open-files soft limit to the hard limit; returns the resulting soft limit.
unsigned long raise_open_files_limit();

}  // namespace rustsocks::app
