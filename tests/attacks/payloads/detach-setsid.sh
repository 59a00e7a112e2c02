#!/bin/sh
# ultralytics (2024), Shai-Hulud 2.0: leave a process behind that outlives the install
# (a miner, a backdoor): its own session, no terminal, output to nowhere.
tag=$(node lib.js cfg runTag)
setsid sh -c 'while :; do sleep 1; done' "sp-survivor-$tag" </dev/null >/dev/null 2>&1 &
sleep 0.3
if node lib.js running "sp-survivor-$tag"; then
  node lib.js did spawned
fi
node lib.js note finished
