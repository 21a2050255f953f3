#!/usr/bin/env bash
# Regenerates what is generated from the argument parsers: the man pages kioskguardctl(1) and
# kioskguardd(8) (swift-argument-parser's generate-manual plugin) and the bash and zsh
# completions. kioskguard.toml(5) is written by hand in docs/man. The date is the last commit's,
# so the output only changes when the commands do. The test suite checks the completions are current.
set -euo pipefail
cd "$(dirname "$0")/.."
date=$(git log -1 --format=%cs 2>/dev/null || date +%F)
swift build --product kioskguardctl >/dev/null
swift build --product kioskguardd >/dev/null
outputs=.build/plugins/GenerateManual/outputs
for section in 1 8; do
    swift package --allow-writing-to-package-directory generate-manual --configuration debug --date "$date" --section "$section" >/dev/null
    case $section in
        1) cp "$outputs/kioskguardctl/kioskguardctl.1" docs/man/ ;;
        # The plugin gives every command a `help` subcommand; kioskguardd has none.
        8) sed -e '/^\.Ar subcommand$/d' -e '/^\.It Em help$/,/^\.El$/d' "$outputs/kioskguardd/kioskguardd.8" > docs/man/kioskguardd.8 ;;
    esac
done
for tool in kioskguardctl kioskguardd; do
    ".build/debug/$tool" --generate-completion-script bash > "packaging/completions/$tool.bash"
    ".build/debug/$tool" --generate-completion-script zsh > "packaging/completions/_$tool"
done
echo "regenerated docs/man/kioskguardctl.1, docs/man/kioskguardd.8 and packaging/completions/"
