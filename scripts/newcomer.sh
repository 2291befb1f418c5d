#!/usr/bin/env bash
# Tries ladder as a new user would: a fresh clone, then the README's two
# commands (read from the README itself, so the README cannot drift from what
# is tried), with nothing installed by hand.
#
#   scripts/newcomer.sh [REPO] [--cold]
#
# --cold also starts from empty Go module and build caches and an empty
# ladder test cache (the CNCF registry is then built from source again).
set -euo pipefail
src=""
cold=false
for a in "$@"; do
  case "$a" in
    --cold) cold=true ;;
    *) src="$a" ;;
  esac
done
[ -n "$src" ] || src=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
if $cold; then
  export GOMODCACHE="$work/gomod" GOCACHE="$work/gocache" XDG_CACHE_HOME="$work/cache"
fi
git clone --quiet "$src" "$work/ladder"
cd "$work/ladder"
mapfile -t cmds < <(awk '/^## The two commands/{f=1} f&&/^```sh/{g=1;next} g&&/^```/{exit} g{print}' README.md | sed -e 's/[[:space:]]*#.*$//' -e '/^[[:space:]]*$/d')
if [ "${#cmds[@]}" -ne 2 ]; then
  echo "README.md: expected two commands under 'The two commands', found ${#cmds[@]}" >&2
  exit 1
fi
for c in "${cmds[@]}"; do
  echo "+ $c"
  start=$(date +%s)
  bash -c "$c"
  echo "ok ($(( $(date +%s) - start )) s): $c"
done
