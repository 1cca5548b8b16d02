#!/usr/bin/env bash
# Windows build and wine test prerequisites (issue 3): the mingw-w64 linker, wine
# and the x86_64-pc-windows-gnu target. Idempotent; never fails CI by itself: a
# missing piece makes .ci/after-windows.sh skip that step with a message.
set -uo pipefail
export DEBIAN_FRONTEND=noninteractive

need=()
command -v x86_64-w64-mingw32-gcc >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
[ -x /usr/bin/wine ] || [ -x /usr/lib/wine/wine64 ] || need+=(wine64)
if [ ${#need[@]} -gt 0 ]; then
  echo "setup-windows: installing ${need[*]}"
  if ! { apt-get update -qq && apt-get install -y -qq "${need[@]}"; }; then
    echo "setup-windows: WARNING: could not install ${need[*]}; the Windows build or wine test will be skipped"
  fi
fi

if command -v rustup >/dev/null 2>&1; then
  if ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
    echo "setup-windows: adding the x86_64-pc-windows-gnu target"
    rustup target add x86_64-pc-windows-gnu \
      || echo "setup-windows: WARNING: cannot install x86_64-pc-windows-gnu; the Windows build will be skipped"
  fi
else
  echo "setup-windows: WARNING: no rustup; the Windows build will be skipped"
fi
exit 0
