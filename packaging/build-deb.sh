#!/usr/bin/env bash
# Builds the kioskguard Debian package from a clean clone:
#   packaging/build-deb.sh [OUTPUT_DIR]      (default: out/)
# Static Swift runtime (no toolchain on kiosk hosts), no local rpath, immediate binding, stripped
# binaries; Depends computed from the binaries' NEEDED libraries. Prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.."
output=${1:-out}
version=${KIOSKGUARD_VERSION:-$(sed -n 's/.*static let current = "\(.*\)".*/\1/p' Sources/KioskGuardProtocol/KioskGuardVersion.swift)}
arch=$(dpkg --print-architecture)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
scripts/ensure-packages.sh libsystemd-dev pkg-config libsqlite3-dev libpcsclite-dev binutils dpkg-dev >/dev/null

flags=(-c release --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now)
swift build "${flags[@]}" --product kioskguardd >&2
swift build "${flags[@]}" --product kioskguardctl >&2
bin=$(swift build "${flags[@]}" --show-bin-path)

install -D -m 0755 "$bin/kioskguardd" "$stage/usr/sbin/kioskguardd"
install -D -m 0755 "$bin/kioskguardctl" "$stage/usr/bin/kioskguardctl"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/sbin/kioskguardd" "$stage/usr/bin/kioskguardctl"
# The browser bridge is the daemon's executable under another name: one Swift runtime, not two.
install -d -m 0755 "$stage/usr/lib/kioskguard"
ln -s ../../sbin/kioskguardd "$stage/usr/lib/kioskguard/kioskguard-bridge"
# The extension, and the host manifests that let it (and only it) start the bridge. The
# manifests are the bridge's own --print-manifest, run under its installed name.
for file in manifest.json background.js content.js; do
    install -D -m 0644 "browser/$file" "$stage/usr/share/kioskguard/browser/$file"
done
# The ids of browser/manifest.json: Chromium's derives from its "key", Firefox's is its gecko id
# (the system test checks both against the manifest).
chromium_id=lenbdceinadncpbegddjemackmcdbfcb
firefox_id=bridge@kioskguard.example
bridge_tool=$(mktemp -d)
ln -s "$bin/kioskguardd" "$bridge_tool/kioskguard-bridge"
for host in "chromium $chromium_id etc/chromium/native-messaging-hosts" "firefox $firefox_id usr/lib/mozilla/native-messaging-hosts"; do
    read -r browser id directory <<< "$host"
    install -d "$stage/$directory"
    "$bridge_tool/kioskguard-bridge" --print-manifest "$browser" --extension-id "$id" --bridge-path /usr/lib/kioskguard/kioskguard-bridge \
        > "$stage/$directory/kioskguard.bridge.json"
    chmod 0644 "$stage/$directory/kioskguard.bridge.json"
done
rm -r "$bridge_tool"

units=$stage/usr/lib/systemd/system
install -D -m 0644 systemd/kioskguard.service "$units/kioskguard.service"
install -D -m 0644 systemd/kioskguard-events.socket "$units/kioskguard-events.socket"
install -D -m 0644 systemd/kioskguard-control.socket "$units/kioskguard-control.socket"
install -D -m 0644 systemd/kioskguard.sysusers "$stage/usr/lib/sysusers.d/kioskguard.conf"
install -D -m 0644 systemd/kioskguard.tmpfiles "$stage/usr/lib/tmpfiles.d/kioskguard.conf"
install -D -m 0644 systemd/kioskguard.catalog "$stage/usr/lib/systemd/catalog/kioskguard.catalog"
install -D -m 0644 systemd/50-kioskguard.rules "$stage/usr/share/polkit-1/rules.d/50-kioskguard.rules"
install -D -m 0644 packaging/kioskguard.toml "$stage/etc/kioskguard/kioskguard.toml"
install -d -m 0755 "$stage/etc/kioskguard/kioskguard.toml.d"

for page in docs/man/kioskguardctl.1 docs/man/kioskguard.toml.5 docs/man/kioskguardd.8; do
    section=${page##*.}
    install -d "$stage/usr/share/man/man$section"
    gzip -9n < "$page" > "$stage/usr/share/man/man$section/$(basename "$page").gz"
done
# Completion files are sourced, not run: no #! line.
install -d "$stage/usr/share/bash-completion/completions"
for tool in kioskguardctl kioskguardd; do
    sed '1{/^#!/d}' "packaging/completions/$tool.bash" > "$stage/usr/share/bash-completion/completions/$tool"
    chmod 0644 "$stage/usr/share/bash-completion/completions/$tool"
    install -D -m 0644 "packaging/completions/_$tool" "$stage/usr/share/zsh/vendor-completions/_$tool"
done

docs=$stage/usr/share/doc/kioskguard
install -D -m 0644 packaging/debian/copyright "$docs/copyright"
# The model client for kiosk apps in other languages (docs/protocol.md), runnable with python3.
install -D -m 0644 examples/kioskguard_client.py "$docs/examples/kioskguard_client.py"
date=$(git log -1 --format=%aD 2>/dev/null || date -R)
printf 'kioskguard (%s) unstable; urgency=medium\n\n  * Release %s.\n\n -- kioskguard maintainers <maintainers@kioskguard.invalid>  %s\n' \
    "$version" "$version" "$date" | gzip -9n > "$docs/changelog.gz"
# The fleet's shipped rules and route (docs/fleet.md), for the Prometheus and Alertmanager hosts.
for file in prometheus/kioskguard.rules.yml prometheus/kioskguard.rules.test.yml alertmanager/kioskguard.yml; do
    install -D -m 0644 "packaging/$file" "$stage/usr/share/kioskguard/$file"
done
install -D -m 0644 packaging/debian/lintian-overrides "$stage/usr/share/lintian/overrides/kioskguard"

# Depends from what the binaries load, each library mapped to its package and installed version.
depends=$(objdump -p "$stage/usr/sbin/kioskguardd" "$stage/usr/bin/kioskguardctl" | awk '/NEEDED/ {print $2}' | sort -u |
    while read -r library; do
        path=$(ldconfig -p | awk -v lib="$library" '$1 == lib {print $NF; exit}')
        package=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null | head -1 | cut -d: -f1) || true
        [ -n "$package" ] || package=$(dpkg -S "$path" | head -1 | cut -d: -f1)
        echo "$package (>= $(dpkg-query -W -f='${Version}' "$package" | sed 's/-[^-]*$//'))"
    done | sort -u | paste -sd, | sed 's/,/, /g')
depends="$depends, systemd (>= 252), procps"

install -d "$stage/DEBIAN"
installed_size=$(du -ks "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: kioskguard
Version: $version
Architecture: $arch
Maintainer: kioskguard maintainers <maintainers@kioskguard.invalid>
Installed-Size: $installed_size
Depends: $depends
Recommends: polkitd
Section: admin
Priority: optional
Homepage: https://kioskguard.invalid/
Description: session guard for shared registration kiosks
 kioskguardd locks idle kiosk sessions after a warning, ends sessions that
 look handed over to another person, and refuses sensitive steps such as
 registering a bank account unless the identity was verified recently and the
 card is still in the reader. Every state change goes to the systemd journal
 under keyed pseudonyms, and every anomaly is delivered to an incident
 hotline as a signed alert until it is acknowledged. kioskguardctl inspects
 the daemon and reviews the journal, on one host or across a fleet.
CONTROL
printf '%s\n' /etc/kioskguard/kioskguard.toml /etc/chromium/native-messaging-hosts/kioskguard.bridge.json > "$stage/DEBIAN/conffiles"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$stage/DEBIAN/"

mkdir -p "$output"
deb="$output/kioskguard_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
echo "$deb"
