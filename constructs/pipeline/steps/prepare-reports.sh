#!/usr/bin/env bash
# Creates the folder the unit tests write their JUnit XML into (REPORT_DIR, relative to the
# source), before the service's own test commands run.
set -euo pipefail

mkdir -p -- "./$REPORT_DIR"
