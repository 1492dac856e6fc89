#!/bin/sh
# Builds the self-contained image of issue 16 from the folder distribution:
#   build-image.sh DIST OUT_DIR
# writes OUT_DIR/besip-image-<arch>.tar.gz: a jlinked Java runtime (runtime/: only the modules
# besip uses, no debug symbols, headers or man pages), the distribution beside it (bin/ finds
# runtime/bin/java first), and sqlite-jdbc's and JNA's native libraries trimmed to the machine's
# architecture. The JDK that links it is the one running the build ($JAVA_HOME, else the java on
# PATH); docs/benchmarks.md says why JDK 17.
set -eu
dist=$1
out=$2
[ -x "$dist/bin/besip" ] || { echo "build-image: $dist is not a besip distribution" >&2; exit 2; }
jdk=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")}
[ -x "$jdk/bin/jlink" ] || { echo "build-image: no jlink in $jdk (a JDK, not a JRE, builds the image)" >&2; exit 2; }
case $(uname -m) in
  x86_64 | amd64) arch=x86_64 sqlite=Linux/x86_64 jna=linux-x86-64 ;;
  aarch64 | arm64) arch=aarch64 sqlite=Linux/aarch64 jna=linux-aarch64 ;;
  armv7l | armv7*) arch=armv7 sqlite=Linux/arm jna=linux-arm ;;
  *) echo "build-image: no image recipe for $(uname -m)" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)
work="$out/besip-image-$arch"
rm -rf "$work"
mkdir -p "$out"
cp -r "$dist" "$work"
rm -rf "$work/data"/* "$work/logs"/*
cp "$dist/data/README" "$work/data/"
cp "$dist/logs/README" "$work/logs/"

# the modules: those whose packages a bundle imports (the framework resolves nothing without
# them; ImageModules.java reads the manifests), and those reached only through the launcher,
# reflection or service loading: elliptic-curve keys for SSH, DNS for trunks, charsets, Unsafe
# for JNA and SQLite, HTTP client, JFR and management for profiling a box in the field
modules=$("$jdk/bin/java" "$here/ImageModules.java" "$work"/lib/*.jar "$work"/bundles/*.jar 2>/dev/null)
modules="$modules,java.net.http,jdk.crypto.ec,jdk.naming.dns,jdk.charsets,jdk.unsupported,jdk.zipfs,jdk.jfr,jdk.management"
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 \
  --output "$work/runtime"

# native libraries for this architecture only (sqlite-jdbc finds its own by os and arch; JNA's
# manifest names one per platform, and the framework looks for the one that matches)
for jar in "$work"/bundles/sqlite-jdbc-*.jar; do
  "$jdk/bin/java" "$here/TrimNatives.java" "$jar" 'org/sqlite/native/.+' "org/sqlite/native/$sqlite/"
done
for jar in "$work"/bundles/jna-*.jar; do
  "$jdk/bin/java" "$here/TrimNatives.java" "$jar" 'com/sun/jna/[^/]+/[^/]+[.](so|dll|dylib|jnilib|a)' "com/sun/jna/$jna/"
done
tar -C "$out" -czf "$out/besip-image-$arch.tar.gz" "besip-image-$arch"
echo "build-image: $out/besip-image-$arch.tar.gz ($(du -sm "$work" | cut -f1) MB unpacked; modules $modules)"
