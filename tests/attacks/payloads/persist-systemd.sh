#!/bin/sh
# A systemd user unit, enabled: runs at every login.
tag=$(node lib.js cfg runTag)
dir="$HOME/.config/systemd/user"
mkdir -p "$dir/default.target.wants" || exit 0
cat > "$dir/sp-update-helper.service" <<UNIT && node lib.js did wrote
[Unit]
Description=Update helper (sp-persist-$tag)
[Service]
ExecStart=/bin/sh -c 'while :; do sleep 3600; done'
[Install]
WantedBy=default.target
UNIT
ln -sf "$dir/sp-update-helper.service" "$dir/default.target.wants/sp-update-helper.service"
node lib.js note finished
