#!/bin/sh
# Profiles proxyd under a short sysbench oltp_point_select run and prints the
# top symbols (perf if usable, else callgrind). Arguments go to profile.py:
#   bench/profile.sh [--proxyd build/proxyd/proxyd] [--seconds 10] [--target haproxy]
exec /usr/bin/python3 "$(dirname "$0")/profile.py" "$@"
