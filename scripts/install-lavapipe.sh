#!/usr/bin/env bash
# Installs Mesa's lavapipe (CPU Vulkan driver) from <codename>-backports so that Dawn
# (npm package `webgpu`) finds a Vulkan adapter on GPU-less machines. Debian 12's own
# mesa-vulkan-drivers 22.x gives Dawn no adapter; the 25.x in bookworm-backports does.
#
# Run as root. Idempotent. The backports entry is derived from the machine's existing
# Debian entry (deb822 *.sources or one-line sources.list), so the mirror the machine
# already uses is kept and no mirror address lives in this repository.
#
# Usage: sudo scripts/install-lavapipe.sh [extra packages...]   (e.g. vulkan-tools)
set -euo pipefail

if [[ $(id -u) -ne 0 ]]; then
  echo "install-lavapipe: must run as root" >&2
  exit 1
fi

# shellcheck disable=SC1091
. /etc/os-release
codename=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
if [[ ${ID:-} != debian ]]; then
  echo "install-lavapipe: expects Debian (found ID=${ID:-?}); add ${codename}-backports yourself" >&2
  exit 1
fi
backports="${codename}-backports"
target="/etc/apt/sources.list.d/${backports}.sources"

# True when some enabled apt source already carries the backports suite.
have_backports() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    if grep -Eq "^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+${backports}([[:space:]]|$)" "$f"; then
      return 0
    fi
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    # deb822: a "Suites:" field listing the backports suite, in a stanza not marked disabled.
    if awk -v s="$backports" '
        BEGIN { RS = ""; FS = "\n"; found = 0 }
        {
          suites = 0; off = 0
          for (i = 1; i <= NF; i++) {
            f = tolower($i)
            if (f ~ /^suites:/) { n = split(substr(f, 8), w, /[ \t]+/); for (j = 1; j <= n; j++) if (w[j] == s) suites = 1 }
            if (f ~ /^enabled:[ \t]*no/) off = 1
          }
          if (suites && !off) found = 1
        }
        END { exit found ? 0 : 1 }' "$f"; then
      return 0
    fi
  done
  return 1
}

# Prints a deb822 stanza for the backports suite, copied from the first enabled deb822
# stanza whose Types include "deb" and whose Suites include the release codename.
derive_from_deb822() {
  local f out
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f $f ]] || continue
    out=$(awk -v c="$codename" -v b="$backports" '
      # deb822: stanzas are separated by blank lines, field names are case-insensitive,
      # and lines starting with a blank continue the previous field (e.g. an inline key
      # under Signed-By), so fields are collected whole before being copied.
      BEGIN { RS = ""; FS = "\n" }
      {
        delete val; key = ""
        for (i = 1; i <= NF; i++) {
          line = $i
          if (line ~ /^#/) continue
          if (line ~ /^[ \t]/) { if (key != "") val[key] = val[key] "\n" line; continue }
          p = index(line, ":"); if (p == 0) continue
          key = tolower(substr(line, 1, p - 1)); val[key] = line
        }
        hit = 0
        n = split(substr(val["suites"], 8), w, /[ \t]+/)
        for (j = 1; j <= n; j++) if (w[j] == c) hit = 1
        if (hit && val["enabled"] !~ /:[ \t]*no/ && val["types"] ~ /[: \t]deb([ \t]|$)/ && val["uris"] != "") {
          print "Types: deb"
          print val["uris"]
          print "Suites: " b
          print ("components" in val ? val["components"] : "Components: main")
          if ("signed-by" in val) print val["signed-by"]
          exit 0
        }
      }' "$f")
    if [[ -n $out ]]; then
      printf '%s\n' "$out"
      return 0
    fi
  done
}

# Same from a one-line "deb [opts] URI <codename> components..." entry.
derive_from_list() {
  local f line
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [[ -f $f ]] || continue
    line=$(grep -E "^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[^[:space:]]+[[:space:]]+${codename}[[:space:]]" "$f" | head -n1 || true)
    [[ -n $line ]] || continue
    local opts="" rest uri comps signed=""
    rest=$(sed -E 's/^[[:space:]]*deb[[:space:]]+//' <<<"$line")
    if [[ $rest == \[* ]]; then
      opts=${rest%%]*}; opts=${opts#[}
      rest=$(sed -E 's/^\[[^]]*\][[:space:]]+//' <<<"$rest")
    fi
    read -r uri _ comps <<<"$rest"
    signed=$(grep -Eo 'signed-by=[^[:space:]]+' <<<"$opts" | head -n1 | cut -d= -f2- || true)
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: %s\n' "$uri" "$backports" "${comps:-main}"
    [[ -z $signed ]] || printf 'Signed-By: %s\n' "$signed"
    return 0
  done
}

if have_backports; then
  echo "install-lavapipe: ${backports} already configured"
else
  stanza=$(derive_from_deb822)
  [[ -n $stanza ]] || stanza=$(derive_from_list)
  if [[ -z $stanza ]]; then
    echo "install-lavapipe: found no apt entry for suite ${codename} to derive ${backports} from" >&2
    exit 1
  fi
  printf '# Added by ssl-robust scripts/install-lavapipe.sh (derived from the %s entry)\n%s\n' \
    "$codename" "$stanza" >"$target"
  echo "install-lavapipe: wrote $target:"
  sed 's/^/  /' "$target"
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# mesa-vulkan-drivers carries lavapipe (libvulkan_lvp.so) next to the hardware drivers;
# libvulkan1 is the Vulkan loader Dawn dlopens. -t only raises backports' priority, so
# packages that backports lacks (libvulkan1 today) come from the release itself.
apt-get install -y -q --no-install-recommends -t "$backports" \
  mesa-vulkan-drivers libvulkan1 "$@"

echo "install-lavapipe: installed"
dpkg-query -W -f='  ${Package} ${Version}\n' mesa-vulkan-drivers libvulkan1 "$@" 2>/dev/null || true
