#!/usr/bin/env bash
# Installs the machine packages the test command needs beyond Rust, Node and PostgreSQL:
# Debian's Chromium (the browser tests drive it with playwright-core, which downloads no browser
# of its own), its language packs (without them the browser's own parts of a page, such as a
# date field's 年/月/日, stay English whatever language the page asks for) and a small CJK font,
# without which Chromium draws Chinese as empty boxes and the screenshots prove nothing.
# LibreOffice (Writer, no GUI) and poppler print the server's Word documents to PDF and PNG in
# the documents test; the AR PL Ming (宋体-like) and Kai (楷体/仿宋-like) fonts are what its
# substitution table picks for the documents' 宋体/仿宋/楷体, so the renderings look as printed.
# Idempotent: when all are there it returns at once.
#
# Needs root (or sudo) for apt-get; a machine that already has the packages needs neither.
set -euo pipefail

# nginx: the reverse-proxy example (deploy/nginx) is tested in front of two servers.
packages=(chromium chromium-l10n fonts-wqy-microhei nginx
  libreoffice-writer-nogui poppler-utils fonts-arphic-uming fonts-arphic-ukai)

installed() { dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed; }

missing=()
for package in "${packages[@]}"; do
  installed "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  apt_get=(env DEBIAN_FRONTEND=noninteractive apt-get)
elif command -v sudo >/dev/null; then
  apt_get=(sudo env DEBIAN_FRONTEND=noninteractive apt-get)
else
  echo "setup: ${missing[*]} missing; install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi

printf '\n==> setup: installing %s\n' "${missing[*]}" >&2
apt_install() { "${apt_get[@]}" install -y -q --no-install-recommends "${missing[@]}" >&2; }
# A fresh machine's package lists may be missing or stale; refresh them only if that is why the
# install failed, since an update costs time on every machine that did not need it.
apt_install || { "${apt_get[@]}" update -q >&2 && apt_install; }
