#!/bin/sh
# The image's entry: `docker run sweeper <command>` runs `sweeper <command>`. Before `start` with the
# shipped demo config, the demo target is created when it is missing (or empty), so that the first
# `docker run` shows the demo; a mounted config of your own is left alone (SWEEPER_DEMO=0: never seed).
# SWEEPER_APP_DIR is where the image keeps the app (/app; test/build/docker-entrypoint.test.ts lays one out elsewhere).
set -e
app=${SWEEPER_APP_DIR:-/app}
demo_config=$app/config/sweeper.yaml
if [ "$1" = "start" ] && [ "${SWEEPER_DEMO:-1}" = "1" ] && [ "${SWEEPER_CONFIG:-}" = "$demo_config" ] \
  && grep -q "The demo target" "$demo_config"; then
  node "$app/dist/main.js" seed-demo --file "$app/data/app.db"
fi
exec node "$app/dist/main.js" "$@"
