#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3, runs on Node 20) into .vscode-test/code-server for
# the end-to-end test. Desktop VS Code and Electron cannot be downloaded here; code-server installs
# from the npm registry once @vscode/ripgrep finds a cached ripgrep (Debian's) instead of fetching one.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.vscode-test/code-server
if [ -x "$dest/node_modules/.bin/code-server" ]; then exit 0; fi

need=()
for p in libkrb5-dev libsecret-1-dev libxkbfile-dev libx11-dev ripgrep chromium; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
if [ ! -f "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d)
  cp "$(command -v rg)" "$tmp/rg"
  tar -czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$tmp" rg
  rm -rf "$tmp"
fi

mkdir -p "$dest"
# npm 11 runs dependency install scripts only when allowScripts lists them.
cat > "$dest/package.json" <<'JSON'
{
  "name": "derivlens-e2e-code-server",
  "private": true,
  "dependencies": { "code-server": "4.100.3" },
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON
(cd "$dest" && npm_config_yes=true npm_config_unsafe_perm=true npm install --unsafe-perm --no-audit --no-fund >/dev/null)
"$dest/node_modules/.bin/code-server" --version
