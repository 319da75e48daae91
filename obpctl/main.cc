// obpctl: the operators' CLI for a fleet of proxyd nodes (SPEC §5). The
// command line lives in app.cc; this only hands it the process's streams.
#include <iostream>

#include "obpctl/app.h"

int main(int argc, char** argv) {
  return obp::ctl::RunObpctl(argc, argv, obp::ctl::Io{std::cout, std::cerr});
}
