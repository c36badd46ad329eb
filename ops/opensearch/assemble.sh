#!/usr/bin/env bash
# Assemble an OpenSearch home folder from Maven Central artifacts (see docs/opensearch.md).
#
#   ops/opensearch/assemble.sh [--force]
#
# 1. Maven resolves the server and each module listed in pom.xml and copies their runtime
#    jars into var/opensearch/parts/ (lib/, modules/<name>/; removed once the home is made).
# 2. The home folder var/opensearch/home/ is built beside it and swapped in:
#      lib/               the server's jars
#      modules/<name>/    the module's own jars (those the server already has are dropped),
#                         plugin-descriptor.properties and plugin-security.policy from
#                         ops/opensearch/parts/<name>/ (the Maven Central jars carry neither)
#      config/            jvm.options and log4j2.properties from ops/opensearch/config/
#      plugins/, bin/     empty (no plugins installed, so no security plugin; the node
#                         checks that bin/ exists)
# Nothing is done when the home was assembled from the same inputs (--force redoes it).
# Maven's own cache is the usual one (~/.m2/repository, or -Dmaven.repo.local in MAVEN_OPTS).
# OPENSEARCH_VAR moves var/opensearch elsewhere (cluster.py reads it too): when root runs
# the cluster, the nodes' unprivileged user must be able to reach it.
set -euo pipefail

ops="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$ops/../.." && pwd)"
var="${OPENSEARCH_VAR:-$repo/var/opensearch}"
home="$var/home"
parts="$var/parts"

force=0
case "${1:-}" in
  --force) force=1 ;;
  "") ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

command -v mvn >/dev/null || { echo "assemble: mvn not found (install Maven)" >&2; exit 1; }
command -v java >/dev/null || { echo "assemble: java not found (install a JDK 17)" >&2; exit 1; }

# Everything the home is made from; a change to any of it makes a new home.
inputs_digest() {
  (cd "$ops" && find . -path ./target -prune -o -type f \
      \( -name '*.xml' -o -name '*.properties' -o -name '*.policy' -o -name '*.options' \
         -o -name 'assemble.sh' \) -print | LC_ALL=C sort | xargs sha256sum) | sha256sum | cut -c1-16
}
digest="$(inputs_digest)"
if [ "$force" = 0 ] && [ -f "$home/.assembled" ] && [ "$(cat "$home/.assembled")" = "$digest" ]; then
  echo "assemble: $home is up to date"
  exit 0
fi

started=$(date +%s.%N)
mkdir -p "$var"
rm -rf "$parts"
echo "assemble: resolving OpenSearch parts with Maven into $parts (log: $var/maven.log)"
if ! mvn -B --no-transfer-progress -Dstyle.color=never -f "$ops/pom.xml" -Dparts.root="$parts" \
    package > "$var/maven.log" 2>&1; then
  tail -n 30 "$var/maven.log" >&2
  echo "assemble: Maven failed; see $var/maven.log" >&2
  exit 1
fi

server_jar="$(ls "$parts"/lib/opensearch-[0-9]*.jar)"
version="$(basename "$server_jar" .jar)"
version="${version#opensearch-}"

build="$var/home.new"
rm -rf "$build"
mkdir -p "$build/bin" "$build/lib" "$build/modules" "$build/plugins" "$build/config"
cp "$parts"/lib/*.jar "$build/lib/"
cp "$ops/config/jvm.options" "$ops/config/log4j2.properties" "$build/config/"

for module_parts in "$parts"/modules/*/; do
  name="$(basename "$module_parts")"
  target="$build/modules/$name"
  mkdir -p "$target"
  for jar in "$module_parts"*.jar; do
    # The server's own jars come with every module's dependency tree; the node has them
    # in lib/ already, and a second copy would fail its jar hell check.
    [ -e "$build/lib/$(basename "$jar")" ] || cp "$jar" "$target/"
  done
  sed "s/@OPENSEARCH_VERSION@/$version/g" "$ops/parts/$name/plugin-descriptor.properties" \
    > "$target/plugin-descriptor.properties"
  if [ -f "$ops/parts/$name/plugin-security.policy" ]; then
    cp "$ops/parts/$name/plugin-security.policy" "$target/"
  fi
  # The descriptor must name a class that is in the module's jars.
  classname="$(sed -n 's/^classname=//p' "$target/plugin-descriptor.properties")"
  class_path="${classname//.//}.class"
  found=0
  for jar in "$target"/*.jar; do
    if unzip -l "$jar" "$class_path" >/dev/null 2>&1; then found=1; break; fi
  done
  if [ "$found" = 0 ]; then
    echo "assemble: $name: no jar in $target holds $classname" >&2
    exit 1
  fi
done

echo "$digest" > "$build/.assembled"
rm -rf "$home"
mv "$build" "$home"
rm -rf "$parts"  # a scratch copy: modules/ there repeat the server's jars
finished=$(date +%s.%N)
printf 'assemble: OpenSearch %s home at %s (%s jars in lib, modules: %s) in %.1f s\n' \
  "$version" "$home" "$(ls "$home/lib" | wc -l)" "$(ls "$home/modules" | tr '\n' ' ' | sed 's/ $//')" \
  "$(awk -v a="$started" -v b="$finished" 'BEGIN { print b - a }')"
