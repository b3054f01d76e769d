#!/usr/bin/env bash
# Builds the Dubbo interop provider into target/ (git-ignored) and prints the java classpath to use.
# Cached: reruns only when pom.xml or a source file changed. Dependencies come from Maven Central through
# the ordinary `mvn` client (first run ~1-2 min, later runs instant). Exits non-zero with a reason on stdout
# when java, javac or mvn is missing, so the test can skip with that reason.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
for tool in java javac mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool"; exit 3; }
done
mkdir -p target
stamp="$(cat pom.xml src/main/java/io/strait/interop/*.java | sha256sum | cut -d' ' -f1)"
if [ -f target/stamp ] && [ "$(cat target/stamp)" = "$stamp" ] && [ -f target/classpath.txt ]; then
  echo "target/classes:$(cat target/classpath.txt)"
  exit 0
fi
rm -rf target/classes target/stamp
mvn -B -q dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >target/mvn.log 2>&1 \
  || { echo "mvn dependency:build-classpath failed (see $here/target/mvn.log)"; exit 4; }
javac -nowarn -encoding UTF-8 --release 17 -d target/classes -cp "$(cat target/classpath.txt)" \
  src/main/java/io/strait/interop/*.java >target/javac.log 2>&1 \
  || { echo "javac failed (see $here/target/javac.log)"; exit 5; }
echo "$stamp" > target/stamp
echo "target/classes:$(cat target/classpath.txt)"
