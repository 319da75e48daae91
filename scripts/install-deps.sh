#!/usr/bin/env bash
# Installs the Debian packages this project builds, tests and runs with.
# Idempotent and quick when everything is present: only missing packages are installed.
# Works without stdin (CI); needs root or sudo only when something is missing.
set -euo pipefail

PACKAGES=(
  cmake ninja-build g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libcli11-dev libgtest-dev libgmock-dev libasio-dev
  libtomlplusplus-dev libspdlog-dev libssl-dev libmariadb-dev
  mariadb-server mariadb-client mariadb-test mariadb-test-data sysbench
  python3-pymysql python3-pytest python3-grpcio python3-yaml
  systemd jq
  haproxy tmux dnsmasq clang-14 libclang-rt-14-dev
  prometheus-cpp-dev prometheus curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root or sudo" >&2; exit 1; }
  SUDO=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
# The mariadb-server package may start the system service; our tests use private
# servers on their own ports, so the system one is left as the package set it up.
