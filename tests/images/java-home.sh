#!/bin/sh
# Give Debian's OpenJDK the official image's JAVA_HOME (/opt/java/openjdk), whatever the arch.
set -eu
java_bin=$(readlink -f "$(command -v java)")
mkdir -p /opt/java
ln -sfn "$(dirname "$(dirname "$java_bin")")" /opt/java/openjdk
/opt/java/openjdk/bin/java -version 2>&1 | grep -q 'version "17\.'
