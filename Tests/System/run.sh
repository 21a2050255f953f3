#!/usr/bin/env bash
# The system tier: kioskguard as a kiosk host gets it. Debootstraps a minimal Debian 12 root,
# installs the .deb with apt inside it (Depends resolved for real, no Swift toolchain), boots it
# with systemd-nspawn (systemd 252 as PID 1, logind, journald, D-Bus, polkit), and lets
# inside.py run every step there. The container powers itself off; this prints each step and
# fails naming the step that failed.
#
#   Tests/System/run.sh [DEB]     (default: packaging/build-deb.sh builds one into out/)
# Needs root. Work folder: .build-system/ (kept after a run for inspection, ignored by git).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" -eq 0 ] || { echo "system test: needs root (debootstrap, systemd-nspawn)" >&2; exit 1; }
deb=$(realpath "${1:-$(packaging/build-deb.sh out)}")
scripts/ensure-packages.sh debootstrap systemd-container >/dev/null
work=$PWD/.build-system
root=$work/root
mirror=${KIOSKGUARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}

fail() { echo "system test FAILED at step '$1': $2" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work/results"

# kioskguardd (the bridge is a link to it) and kioskguardctl each carry the static Swift
# runtime; a package over 16 MiB would mean a third copy crept in.
size=$(stat -c %s "$deb")
echo "system test: $(basename "$deb") is $((size / 1024)) KiB"
[ "$size" -le $((16 * 1024 * 1024)) ] || fail "package size" "$((size / 1024)) KiB, over the 16 MiB budget"
echo "system test: debootstrap of Debian 12 (minbase, systemd, dbus, polkitd, python3, pcscd with vpcd, journal-remote) ..."
debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,libpam-systemd,polkitd,python3,pcscd,vsmartcard-vpcd,python3-virtualsmartcard,python3-pycryptodome,systemd-journal-remote \
    bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    fail "debootstrap" "$(tail -5 "$work/debootstrap.log")"

echo "system test: apt install $(basename "$deb") in a plain chroot (no /proc, no systemd running) ..."
# How fleets build kiosk images: debootstrap, live-build or a script installs packages in a
# chroot where nothing is mounted and no systemd runs. The package must configure there, and
# the same root must then boot with the service working (the steps below).
cp "$deb" "$root/root/"
mountpoint -q "$root/proc" && fail "apt install of the package" "$root/proc is mounted; the install must run without it"
chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    apt-get install -y "/root/$(basename "$deb")" >"$work/apt.log" 2>&1 ||
    fail "apt install of the package" "$(tail -5 "$work/apt.log")"
dpkg_status=$(chroot "$root" dpkg-query -W -f='${Status}' kioskguard)
[ "$dpkg_status" = "install ok installed" ] || fail "apt install of the package" "dpkg says '$dpkg_status'"
[ -s "$root/etc/kioskguard/pseudonym.key" ] || fail "apt install of the package" "no pseudonym key was generated"
[ -L "$root/etc/systemd/system/multi-user.target.wants/kioskguard.service" ] ||
    fail "apt install of the package" "kioskguard.service was not enabled"
[ ! -e "$root/usr/bin/swift" ] && ! ls "$root"/usr/lib/swift* >/dev/null 2>&1 ||
    fail "apt install of the package" "a Swift toolchain or runtime is in the root"

tests=$root/opt/kioskguard-system-test
install -d -m 0755 "$tests"
install -m 0644 Tests/System/inside.py Tests/Integration/hotline.py Tests/Integration/ports.py Tests/Integration/smartcard.py \
    Tests/Integration/traffic.py "$tests/"
install -m 0644 Tests/System/kioskguard-system-test.service "$root/etc/systemd/system/"
ln -s /etc/systemd/system/kioskguard-system-test.service "$root/etc/systemd/system/multi-user.target.wants/"

echo "system test: booting the container; the steps run inside it ..."
status=0
timeout -k 10 900 systemd-nspawn -q -D "$root" --register=no --keep-unit -b --console=pipe \
    --bind="$work/results:/results" >"$work/console.log" 2>&1 || status=$?
result=$work/results/result.json
# A step runner that died before writing its result (an import that fails) said why in the
# container's journal only.
[ -s "$result" ] || fail "boot" "no result from inside the container (nspawn exit $status); the test unit's last words:
$(journalctl -D "$root/var/log/journal" -u kioskguard-system-test -o cat --no-pager 2>&1 | tail -15)"
python3 - "$result" <<'PY'
import json, sys
result = json.load(open(sys.argv[1]))
for name in result["passed"]:
    print(f"system test: ok   {name}")
for name, value in result["figures"].items():
    print(f"system test: figure {name}: {value}")
if "failed" in result:
    print(f"system test FAILED at step '{result['failed']}': {result['reason']}", file=sys.stderr)
    sys.exit(1)
print(f"system test: all {len(result['passed'])} steps passed")
PY
