#!/usr/bin/env bash
# Bash completion (`source <(attnlab completion bash)`): what TAB offers after typical prefixes.
# usage: completion_test.sh <attnlab binary> <source dir>
set -u
source "$(dirname "$0")/common.sh" "$1" "$2"
source <("$attnlab" completion bash)
touch experiments_test.yaml
# offers WORDS... : the completions of the last word of `attnlab WORDS...`
offers() {
  COMP_WORDS=("$attnlab" "$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  _attnlab
  echo " ${COMPREPLY[*]} "
}
check() {  # name, expected completion, words...
  local name=$1 expected=$2
  shift 2
  local got
  got=$(offers "$@")
  [[ "$got" == *" $expected "* ]] && ok "$name: '$*' offers $expected" || bad "$name: '$*' offers:$got"
}
check "command" run ru
check "list topic" policies list p
check "group option" mixer=softmax run mixer=so
check "group option after +" +mixer=taylor run +mixer=ta
check "config key" train.lr= run train.l
check "nested config key" model.d_model= run model.d_
check "registered mixer name" mixer.name=nonapprox run mixer.name=nona
check "eviction policy group" cache=scissorhands eval somewhere cache=sc
check "option of a command" --dry-run run --dry
check "experiment file" experiments_test.yaml run experiments_t
[ "$(offers run mixer=zz)" = "  " ] && ok "no match offers nothing" || bad "run mixer=zz offers: $(offers run mixer=zz)"
finish
