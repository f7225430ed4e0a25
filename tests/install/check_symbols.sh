#!/usr/bin/env bash
# The shared library exports its API and nothing else: every defined dynamic symbol is in
# namespace cucnf (not cucnf::detail), or is the type information of cucnf::Error.
# Usage: check_symbols.sh <libcucnf.so>
set -euo pipefail
symbols=$(nm -D --defined-only --demangle "$1" | cut -d' ' -f3-)
count=$(echo "$symbols" | grep -c . || true)
unexpected=$(echo "$symbols" \
  | grep -v -E '^cucnf::' \
  | grep -v -E '^(typeinfo for|typeinfo name for|vtable for) cucnf::' || true)
detail=$(echo "$symbols" | grep -E 'cucnf::detail::' || true)
if [ -n "$unexpected" ] || [ -n "$detail" ]; then
  echo "unexpected exported symbols:"; echo "$unexpected"; echo "$detail"
  exit 1
fi
for required in 'cucnf::Flow::log_prob' 'cucnf::Model::load' 'cucnf::Trainer::step' \
                'cucnf::version()' 'typeinfo for cucnf::Error'; do
  echo "$symbols" | grep -q -F "$required" || { echo "missing: $required"; exit 1; }
done
echo "$count exported symbols, all API"
