#!/usr/bin/env bash
# Runs before `npm test`: the tests use real InfluxDB, mosquitto clients, Chromium, snmpd and ping
# (iputils-ping, cap_net_raw) from Debian; python3 and openssl make probe targets; paho-mqtt is the
# Python MQTT client of the resend test.
# As root with apt-get, installs what is missing; otherwise stops at once with the exact command.
set -euo pipefail
PACKAGES=(influxdb mosquitto mosquitto-clients chromium fonts-dejavu-core poppler-utils snmpd iputils-ping python3 python3-paho-mqtt openssl)
missing=()
command -v influxd >/dev/null 2>&1 || [ -x /usr/bin/influxd ] || missing+=(influxdb)
command -v mosquitto_pub >/dev/null 2>&1 || missing+=(mosquitto-clients)
[ -x /usr/sbin/mosquitto ] || command -v mosquitto >/dev/null 2>&1 || missing+=(mosquitto)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -d /usr/share/fonts/truetype/dejavu ] || missing+=(fonts-dejavu-core)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ -x /usr/sbin/snmpd ] || missing+=(snmpd)
command -v ping >/dev/null 2>&1 || missing+=(iputils-ping)
[ -x /usr/bin/python3 ] || missing+=(python3)
# Debian's paho-mqtt, for the resend test's Python client (Debian's own python3, not a pyenv one).
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import paho.mqtt.client' >/dev/null 2>&1 || missing+=(python3-paho-mqtt)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages the tests need: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  exit 0
fi
echo "The tests need system packages that are missing: ${missing[*]}" >&2
echo "Run: sudo apt-get update && sudo apt-get install -y ${PACKAGES[*]}" >&2
exit 1
