#!/usr/bin/env bash
# Accessibility check of one self-contained HTML page: runs axe-core's
# WCAG 2.0/2.1/2.2 A and AA rules, and its best-practice rules (heading
# order, landmarks, regions), in headless Chromium, prints every
# violation (rule, impact, help, target selectors, HTML snippet) and fails on
# any. Why: the bulletin must be usable with a screen reader, keyboard and low
# vision, and a machine check catches regressions (missing alt/lang/labels,
# low contrast, bad table or ARIA markup) before a person has to.
#
# No browser driver (playwright/puppeteer download browsers, which fails
# here): the page is copied to a temp dir with axe.min.js and a small runner
# injected; Chromium loads it with --dump-dom, the runner removes the
# injected scripts, runs axe after `load`, and appends the JSON result
# (URI-encoded, under a per-run id) to the DOM, which is parsed back out.
#
# Usage:   tests/a11y/check.sh PAGE.html
# Setup:   .ci/test-tools   (Chromium and Node.js if missing, axe-core
#          4.14.1 from npm; without root it puts what it gets in
#          ~/.cache/dtto/tools/bin, which must then be on PATH, as `make
#          test` puts it)
# Exit:    0 no violations, 1 violations, 2 the check could not run.
# Env:     A11Y_CACHE (where test-tools put axe-core), CHROMIUM (browser
#          binary; else chromium, chromium-browser, google-chrome or
#          google-chrome-stable on PATH), A11Y_TIMEOUT (wall-clock seconds,
#          default 120), A11Y_WINDOW (viewport, default 1280,1024), A11Y_BUDGET_MS
#          (Chromium's --virtual-time-budget, default 20000), A11Y_KEEP=1
#          keeps the temp dir for debugging.
# axe runs once, just after `load`: content a page's own scripts add later is
# not seen, and neither are files the page links relatively (it is copied).
# "Incomplete" results (axe's "needs review", e.g. contrast over a gradient)
# are listed as warnings and do not fail the check.
set -uo pipefail

die() { echo "a11y: $*" >&2; exit 2; }

[ $# -eq 1 ] || die "usage: $0 PAGE.html"
page="$1"
[ -f "$page" ] || die "no such file: $page"

A11Y_CACHE="${A11Y_CACHE:-$HOME/.cache/dtto/a11y}"
axe_js="$A11Y_CACHE/node_modules/axe-core/axe.min.js"
# The same order as .ci/test-tools and pipeline/tests/it/browser.rs.
chromium="${CHROMIUM:-}"
if [ -z "$chromium" ]; then
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        chromium="$(command -v "$name")" && break
    done
fi
timeout_s="${A11Y_TIMEOUT:-120}"
window="${A11Y_WINDOW:-1280,1024}"
budget="${A11Y_BUDGET_MS:-20000}"
[ -f "$axe_js" ] || die "axe-core not found at $axe_js (run .ci/test-tools)"
[ -n "$chromium" ] || die "no chromium, chromium-browser, google-chrome or google-chrome-stable on PATH, and no CHROMIUM (run .ci/test-tools)"
[ -x "$chromium" ] || die "chromium not found at $chromium (run .ci/test-tools)"
command -v node >/dev/null || die "node not found"
# 0 would make Chromium wait forever; none at all dumps before axe has run.
[[ "$budget" =~ ^[1-9][0-9]*$ ]] || die "A11Y_BUDGET_MS must be a positive number of ms"

work="$(mktemp -d "${TMPDIR:-/tmp}/a11y.XXXXXX")" || die "mktemp failed"
if [ "${A11Y_KEEP:-0}" = 1 ]; then
    echo "a11y: keeping $work" >&2
else
    trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/profile"
nonce="$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"

# 1. The page with axe and the runner injected before </body>.
node - "$page" "$axe_js" "$work/page.html" "$nonce" <<'JS' || die "could not prepare the page"
const fs = require('fs');
const [src, axePath, out, nonce] = process.argv.slice(2);
let html = fs.readFileSync(src, 'utf8');
// A page's own CSP would block the injected inline scripts; it has no
// bearing on accessibility, so the copy goes without it.
html = html.replace(/<meta\b[^>]*http-equiv\s*=\s*["']?content-security-policy["']?[^>]*>/gi, '');
const axeSrc = fs.readFileSync(axePath, 'utf8').replace(/<\/script/gi, '<\\/script');
const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa','best-practice'];
const runner = `
(function () {
  var nonce = ${JSON.stringify(nonce)};
  function finish(payload) {
    var pre = document.createElement('pre');
    pre.id = 'axe-result-' + nonce;
    pre.hidden = true;
    pre.textContent = encodeURIComponent(JSON.stringify(payload));
    (document.body || document.documentElement).appendChild(pre);
  }
  function go() {
    // axe must see the page as it is, without the scripts put in for it.
    ['axe-src-', 'axe-runner-'].forEach(function (p) {
      var el = document.getElementById(p + nonce);
      if (el) el.remove();
    });
    if (typeof axe === 'undefined') { finish({ ok: false, error: 'axe did not load' }); return; }
    axe.run(document, {
      runOnly: { type: 'tag', values: ${JSON.stringify(tags)} },
      resultTypes: ['violations', 'incomplete']
    }).then(function (r) {
      finish({
        ok: true,
        version: r.testEngine && r.testEngine.version,
        url: r.url,
        tags: ${JSON.stringify(tags)},
        violations: r.violations,
        incomplete: r.incomplete.map(function (v) {
          return { id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.map(function (n) { return { target: n.target }; }) };
        }),
        passes: r.passes.length,
        inapplicable: r.inapplicable.length
      });
    }, function (e) {
      finish({ ok: false, error: String((e && e.stack) || e) });
    });
  }
  if (document.readyState === 'complete') setTimeout(go, 0);
  else window.addEventListener('load', function () { setTimeout(go, 0); });
})();`;
const inject =
  `<script id="axe-src-${nonce}">${axeSrc}</script>` +
  `<script id="axe-runner-${nonce}">${runner}</script>`;
const at = html.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
html = at >= 0 ? html.slice(0, at) + inject + html.slice(at) : html + inject;
fs.writeFileSync(out, html);
JS

# 2. Chromium renders it, axe runs, and the final DOM is dumped.
# The network is closed here: these flags keep Chromium from trying it.
start=$(date +%s)
timeout --kill-after=10 "$timeout_s" "$chromium" \
    --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --disable-extensions --disable-dev-shm-usage --hide-scrollbars \
    --window-size="$window" --user-data-dir="$work/profile" \
    --virtual-time-budget="$budget" \
    --dump-dom "file://$work/page.html" \
    >"$work/dom.html" 2>"$work/chromium.log"
rc=$?
secs=$(( $(date +%s) - start ))
if [ $rc -ne 0 ]; then
    # Chromium's D-Bus complaints are noise on a machine without a bus.
    grep -v 'dbus' "$work/chromium.log" | tail -n 20 >&2
    [ $rc -eq 124 ] && die "chromium timed out after ${timeout_s}s"
    die "chromium exited with $rc"
fi

# 3. The result, back out of the dumped DOM.
node - "$work/dom.html" "$nonce" "$page" "$secs" <<'JS'
const fs = require('fs');
const [domPath, nonce, page, secs] = process.argv.slice(2);
const dom = fs.readFileSync(domPath, 'utf8');
const m = dom.match(new RegExp(`<pre id="axe-result-${nonce}"[^>]*>([^<]*)</pre>`));
if (!m) {
  console.error(`a11y: axe did not finish on ${page} (no result in the dumped DOM, ${dom.length} bytes)`);
  process.exit(2);
}
let res;
try { res = JSON.parse(decodeURIComponent(m[1])); }
catch (e) { console.error(`a11y: unreadable axe result: ${e}`); process.exit(2); }
if (!res.ok) { console.error(`a11y: axe failed: ${res.error}`); process.exit(2); }

const oneLine = (s) => String(s || '').replace(/\s+/g, ' ').trim();
const clip = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
const target = (t) => t.map((x) => (Array.isArray(x) ? x.join(' >> ') : x)).join(' | ');

for (const v of res.violations) {
  console.log(`VIOLATION ${v.id} [${v.impact}] ${v.help} (${v.nodes.length} node${v.nodes.length === 1 ? '' : 's'})`);
  console.log(`  ${v.helpUrl}`);
  for (const n of v.nodes) {
    console.log(`  - target:  ${target(n.target)}`);
    console.log(`    snippet: ${clip(oneLine(n.html), 300)}`);
    const why = oneLine(n.failureSummary);
    if (why) console.log(`    why:     ${clip(why, 400)}`);
  }
}
for (const v of res.incomplete) {
  console.log(`needs review (not failing): ${v.id} [${v.impact}] ${v.help}: ` +
    clip(v.nodes.map((n) => target(n.target)).join(', '), 300));
}
const nodes = res.violations.reduce((a, v) => a + v.nodes.length, 0);
console.log(`a11y: ${page}: ${res.violations.length} violated rule(s) on ${nodes} element(s), ` +
  `${res.incomplete.length} to review, ${res.passes} passed, ${res.inapplicable} inapplicable ` +
  `(axe-core ${res.version}, ${res.tags.join(' ')}, ${secs}s)`);
process.exit(res.violations.length ? 1 : 0);
JS
