#!/bin/sh
# Container entry: render the configuration from the mounted secrets, then run coturn in the foreground.
# Arguments are extra configuration lines for this environment (external-ip, allowed-peer-ip, ...).
set -eu
/config/render-config.sh /config/turnserver.conf /secrets /run/coturn/turnserver.conf "$@"
exec turnserver -c /run/coturn/turnserver.conf
