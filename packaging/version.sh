#!/bin/sh
# packaging/version.sh: the upstream version of the packages (docs/packaging.md, "Version").
#   tag v1.2.3 on HEAD               -> 1.2.3
#   3 commits after tag v1.2.3       -> 1.2.3+3.gabc1234   (git describe --tags)
#   a tag like v1.3.0-rc1            -> 1.3.0~rc1          ('-' sorts as a pre-release: '~')
#   no tag at all                    -> 0.0.0+git20261129183000.abc1234 (UTC committer time of
#                                       HEAD, then its short hash)
# The Debian revision / RPM release (-1) is added by the package configuration.
set -eu
if d=$(git describe --tags 2>/dev/null); then
	v=$(printf '%s\n' "${d#v}" | sed -e 's/-\([0-9][0-9]*\)-g\([0-9a-f][0-9a-f]*\)$/+\1.g\2/' -e 's/-/~/g')
else
	t=$(git log -1 --format=%ct)
	v=0.0.0+git$(date -u -d "@$t" +%Y%m%d%H%M%S).$(git rev-parse --short=7 HEAD)
fi
case $v in
[0-9]*) ;;
*) echo "packaging: version '$v' (from git) does not start with a digit" >&2; exit 1 ;;
esac
case $v in
*[!0-9A-Za-z.+~]*) echo "packaging: version '$v' (from git) has characters dpkg or rpm refuse" >&2; exit 1 ;;
esac
printf '%s\n' "$v"
