#!/usr/bin/env bash
# Checks that a bcs output folder's report.html prints on A4 with no table
# or figure cut, in headless Chromium (Debian package `chromium`):
#  1. lays the page out with its print styles at the printable width of an
#     A4 portrait page (210 mm − 2 × 12 mm = 186 mm = 703 CSS px) and
#     measures every table and figure, which must fit;
#  2. prints it to PDF and checks that every page is A4;
#  3. with --screenshots DIR, writes a screen view and a print view of the
#     Revenus section as PNG.
#
#   tools/print_check.sh reports/caph [--screenshots reports/screenshots]
set -euo pipefail
out="${1:?usage: tools/print_check.sh DOSSIER_DE_SORTIE [--screenshots DOSSIER]}"
shots=""
if [ "${2:-}" = "--screenshots" ]; then shots="${3:?dossier des captures attendu}"; fi
report="$(cd "$out" && pwd)/report.html"
test -s "$report" || { echo "$report : rapport absent" >&2; exit 1; }
browser="$(command -v chromium || command -v chromium-browser || true)"
test -n "$browser" || { echo "chromium est introuvable (paquet Debian chromium)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chrome() { "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars "$@" 2>/dev/null; }

# The print styles applied on screen, and a script that measures the layout
# and writes what it found into the page (read back with --dump-dom).
python3 - "$report" "$work/print.html" <<'PY'
import sys
html = open(sys.argv[1], encoding="utf-8").read()
if "@media print {" not in html:
    sys.exit("le rapport n'a pas de styles d'impression (@media print)")
html = html.replace("@media print {", "@media all {", 1)
script = """<script>
const W = document.documentElement.clientWidth, bad = [];
const tables = document.querySelectorAll('table');
tables.forEach((t) => { const w = t.getBoundingClientRect().width;
  if (w > W + 0.5) { let h = t.closest('div'); while (h && !/^H[1-6]$/.test(h.tagName)) h = h.previousElementSibling;
    bad.push('tableau « ' + (h ? h.textContent : '?').slice(0, 90) + ' » : ' + Math.round(w) + ' px'); } });
document.querySelectorAll('figure svg, figure img').forEach((s) => { const w = s.getBoundingClientRect().width;
  if (w > W + 0.5) bad.push('figure : ' + Math.round(w) + ' px'); });
const pre = document.createElement('pre');
pre.textContent = 'MESURE ' + JSON.stringify({largeur: W, tableaux: tables.length, trop_larges: bad});
document.body.appendChild(pre);
</script>"""
open(sys.argv[2], "w", encoding="utf-8").write(html.replace("</body>", script + "</body>"))
# The Revenus section alone, for the print view capture.
head, body = html.split("<body>", 1)
start = body.find("<h2>Revenus")
end = body.find("<h2>", start + 1)
if start >= 0:
    section = body[start:end if end > 0 else None]
    open(sys.argv[2].replace(".html", "-revenus.html"), "w", encoding="utf-8").write(
        head + "<body>" + section + "</body></html>")
PY

measure="$(chrome --window-size=703,1000 --virtual-time-budget=10000 --dump-dom "file://$work/print.html" | grep -o 'MESURE {.*}' | tail -1)"
test -n "$measure" || { echo "mesure impossible : chromium n'a pas rendu la page" >&2; exit 1; }
python3 - "$measure" <<'PY'
import json, sys
m = json.loads(sys.argv[1][len("MESURE "):])
if m["largeur"] != 703:
    sys.exit(f"largeur imprimable {m['largeur']} px au lieu de 703 px")
if m["tableaux"] == 0:
    sys.exit("aucun tableau dans le rapport")
if m["trop_larges"]:
    sys.exit(f"{len(m['trop_larges'])} élément(s) plus large(s) que la page A4 : " + " ; ".join(m["trop_larges"][:10]))
print(f"impression A4 : {m['tableaux']} tableaux, tous dans la largeur imprimable (703 px)")
PY

chrome --no-pdf-header-footer --print-to-pdf="$work/report.pdf" "file://$report" >/dev/null
python3 - "$work/report.pdf" <<'PY'
import re, sys
pdf = open(sys.argv[1], "rb").read()
pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
boxes = {tuple(round(float(x)) for x in b.split()) for b in re.findall(rb"/MediaBox\s*\[([^\]]*)\]", pdf)}
if pages == 0 or boxes != {(0, 0, 595, 842)}:
    sys.exit(f"PDF : {pages} page(s), formats {sorted(boxes)} (A4 portrait attendu : 0 0 595 842)")
print(f"PDF : {pages} pages A4 portrait")
PY

if [ -n "$shots" ]; then
  mkdir -p "$shots"
  chrome --window-size=1280,1400 --virtual-time-budget=10000 --screenshot="$shots/rapport_ecran.png" "file://$report" >/dev/null
  chrome --window-size=703,1000 --virtual-time-budget=10000 --screenshot="$shots/rapport_impression_revenus.png" "file://$work/print-revenus.html" >/dev/null
  echo "captures : $shots/rapport_ecran.png, $shots/rapport_impression_revenus.png"
fi
