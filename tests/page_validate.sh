#!/usr/bin/env bash
# Checks the web console's page (core/console/page/) offline: both HTML files
# are clean HTML5 to tidy, nothing in the page would be refused under the
# console's Content-Security-Policy default-src 'self' (inline script or
# style, on* handlers, javascript: URLs, eval), nothing reaches off the
# machine, scripts never turn data into markup, and the GResource manifest
# lists exactly the page's files and compiles.
# Usage: tests/page_validate.sh DIR    (needs tidy and glib-compile-resources)
set -euo pipefail

if [ $# -ne 1 ] || [ ! -d "$1" ]; then
  echo "usage: $0 DIR" >&2
  exit 2
fi
dir=$1
for tool in tidy glib-compile-resources perl; do
  command -v "$tool" >/dev/null || { echo "$0: $tool is missing" >&2; exit 2; }
done

status=0
fail() {
  printf '%s: %s\n' "$0" "$*" >&2
  status=1
}

pages=("$dir/index.html" "$dir/login.html")
for page in "${pages[@]}"; do
  [ -f "$page" ] || { fail "$page: missing"; continue; }

  # Every warning counts.  drop-empty-elements: the lists and messages the
  # scripts fill are empty on purpose.
  report=$(tidy -errors -quiet --drop-empty-elements no "$page" 2>&1) || true
  [ -z "$report" ] || fail "$page: tidy:"$'\n'"$report"

  # Scripts only from files; no style in the markup; no handler attributes.
  # Perl reads the whole file so that a tag split over lines is one tag.
  perl -0777 -ne '
    my $f = $ARGV; my $bad = 0;
    while (/<script\b([^>]*)>(.*?)<\/script\s*>/gis) {
      if ($1 !~ /\ssrc\s*=/i || $2 =~ /\S/) { print STDERR "$f: inline <script>\n"; $bad = 1; }
    }
    if (/<style\b/i) { print STDERR "$f: <style> element\n"; $bad = 1; }
    while (/<[a-z][^>]*>/gis) {
      my $tag = $&;
      if ($tag =~ /\sstyle\s*=/i) { print STDERR "$f: style= attribute in $tag\n"; $bad = 1; }
      if ($tag =~ /\son[a-z]+\s*=/i) { print STDERR "$f: on*= handler in $tag\n"; $bad = 1; }
      if ($tag =~ /=\s*["\x27]?\s*javascript:/i) { print STDERR "$f: javascript: URL in $tag\n"; $bad = 1; }
    }
    exit $bad;
  ' "$page" || status=1

  # What the page loads must be one of its own files: /static/NAME, NAME in DIR.
  while IFS= read -r ref; do
    case $ref in
      /static/*) [ -f "$dir/${ref#/static/}" ] || fail "$page: $ref: no such file in $dir" ;;
      *) fail "$page: loads $ref, not a /static/ file" ;;
    esac
  done < <(perl -0777 -ne 'print "$1\n" while /<(?:script|link)\b[^>]*\s(?:src|href)\s*=\s*["\x27]?([^"\x27\s>]+)/gis' "$page")
done

# Offline: no absolute or protocol-relative URL to anywhere, in any file.
if grep -rniE 'https?://' "$dir"; then
  fail "$dir: an http(s):// URL (the page must work offline)"
fi
if grep -rniE '(src|href|action)[[:space:]]*=[[:space:]]*["'\'']?//|url\([[:space:]]*["'\'']?//|@import' "$dir"; then
  fail "$dir: a protocol-relative URL or @import"
fi

# Data reaches the page as text only, and CSP refuses eval.
if grep -nE '\.(inner|outer)HTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\([[:space:]]*["'\''](style|on)' "$dir"/*.js; then
  fail "$dir: a script writes markup, evaluates code or sets an inline style or handler"
fi

# The manifest lists exactly the page's files, and compiles.
manifest="$dir/console.gresource.xml"
if [ -f "$manifest" ]; then
  listed=$(perl -ne 'print "$1\n" if /<file\b[^>]*>\s*([^<\s]+)\s*<\/file>/' "$manifest" | sort)
  present=$(cd "$dir" && ls -1 -- *.html *.css *.js 2>/dev/null | sort)
  [ "$listed" = "$present" ] || fail "$manifest lists"$'\n'"$listed"$'\n'"but $dir holds"$'\n'"$present"
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  glib-compile-resources --sourcedir="$dir" --target="$out/page.gresource" "$manifest" || fail "$manifest does not compile"
else
  fail "$manifest: missing"
fi

exit "$status"
