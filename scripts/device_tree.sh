#!/usr/bin/env bash
# device_tree.sh shrink|restore — the device tool sends git's tracked files plus the carried paths, at most 64 MiB in
# all; the tracked tree is ~70 MB (the test goldens: 62 MB), so before a device call `shrink` takes what the GPU
# session does not need (src/test, native/tests, docs) out of git's index and ignores it in .git/info/exclude (the
# files stay on disk; nothing is committed), and `restore` puts both back after the call. Refuses to shrink with
# staged changes (restore resets the index to HEAD).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
marker='# device_tree.sh'
exclude=.git/info/exclude
case "${1:-}" in
  shrink)
    git diff --cached --quiet || { echo "device_tree.sh: staged changes: commit or unstage them first"; exit 1; }
    git rm -r -q --cached src/test native/tests docs
    mkdir -p .git/info
    printf '/src/test/ %s\n/native/tests/ %s\n/docs/ %s\n' "$marker" "$marker" "$marker" | sed 's/ #.*//' >> "$exclude"
    printf '%s\n' "$marker" >> "$exclude"
    echo "device_tree.sh: tracked files now $(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1) bytes (+ the carried .gpu/java)"
    ;;
  restore)
    git reset -q
    if [ -f "$exclude" ]; then
      grep -vxF -e '/src/test/' -e '/native/tests/' -e '/docs/' -e "$marker" "$exclude" > "$exclude.tmp" || true
      mv "$exclude.tmp" "$exclude"
    fi
    git status --short | head -5
    ;;
  *) echo "usage: scripts/device_tree.sh shrink|restore"; exit 2 ;;
esac
