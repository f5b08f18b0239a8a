#!/usr/bin/env bash
# Run board shards one after another on one core, niced, claiming each with mkdir so that two workers started
# side by side never take the same shard (docs/board-plan.md). Run from the checkout root after `make setup`:
#
#   nohup setsid tools/board_shards.sh gemma-3-270m mmlu:6/10 mmlu:7/10 hellaswag:3/16 ... >/dev/null 2>&1 &
#
# A claim is $BOARD_STATE/<model>_<suite>_<i>of<N>/ (default .podium/board); `.done` inside it marks a finished shard.
# A shard that ends rc≠0 is re-run (up to 3 tries): the journal keeps finished items, only failed ones are retried.
# After a machine restart remove the claims without `.done` and start the workers again; journals resume.
set -u
model=$1; shift
state=${BOARD_STATE:-.podium/board}
mkdir -p "$state"
echo 19 > /proc/$$/autogroup 2>/dev/null || true   # `nice` alone does not yield the core under autogroup
for job in "$@"; do
  suite=${job%%:*}; shard=${job#*:}; key="${model}_${suite}_${shard/\//of}"
  mkdir "$state/$key" 2>/dev/null || continue
  for try in 1 2 3; do
    echo "$(date -u +%FT%TZ) $$ start $model $key try $try" >> "$state/queue.log"
    nice -n 19 .venv/bin/podium run --model "$model" --suite "$suite" --backend embedded --threads 1 \
      --shard "$shard" > "$state/$key.out" 2>&1
    rc=$?
    echo "$(date -u +%FT%TZ) $$ end $model $key rc=$rc" >> "$state/queue.log"
    if [ "$rc" = 0 ]; then touch "$state/$key/.done"; break; fi
  done
done
echo "$(date -u +%FT%TZ) $$ worker finished" >> "$state/queue.log"
