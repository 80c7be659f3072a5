#!/bin/bash
# scripts/deps.sh - install every Debian 12 package lettergate needs to build,
# run and test. Idempotent and non-interactive: when everything is already
# installed it returns at once (one dpkg-query call); otherwise it preseeds
# Postfix to "No configuration" (no system-wide Postfix is configured or
# started; the project runs private instances), runs apt-get update and
# installs what is missing.
#
#   scripts/deps.sh            install what is missing
#   scripts/deps.sh --list     print the package list and exit
#   scripts/deps.sh --check    exit 0 when all are installed, 1 otherwise
set -euo pipefail

PACKAGES=(
	# build
	build-essential pkg-config clang libclang-rt-14-dev m4
	libmilter-dev libgmime-3.0-dev libglib2.0-dev libcurl4-openssl-dev libssl-dev
	libjson-glib-dev libsqlite3-dev sqlite3 libexttextcat-dev libpcre2-dev
	libstemmer-dev libjpeg-dev libvips-dev libvips-tools libheif-examples libcmocka-dev
	libgumbo-dev libcairo2-dev libpango1.0-dev fonts-dejavu-core libmicrohttpd-dev libjemalloc-dev
	poppler-utils
	# real components for running and testing
	postfix swaks miltertest apertium-apy apertium-rus-ukr apertium-bel-rus
	python3 curl procps psmisc
)

missing_packages() {
	local line pkg status
	# Unknown packages make dpkg-query print to stderr and exit 1: they are
	# simply missing.
	declare -A have=()
	while IFS=' ' read -r pkg status; do
		pkg=${pkg%%:*}
		[[ $status == ii* ]] && have[$pkg]=1
	done < <(dpkg-query -W -f='${binary:Package} ${db:Status-Abbrev}\n' \
		"${PACKAGES[@]}" 2>/dev/null || true)
	for line in "${PACKAGES[@]}"; do
		[[ -n ${have[$line]:-} ]] || printf '%s\n' "$line"
	done
}

case "${1:-}" in
--list)
	printf '%s\n' "${PACKAGES[@]}"
	exit 0
	;;
--check)
	[[ -z "$(missing_packages)" ]]
	exit
	;;
"") ;;
*)
	echo "usage: $0 [--list|--check]" >&2
	exit 2
	;;
esac

mapfile -t MISSING < <(missing_packages)
if ((${#MISSING[@]} == 0)); then
	echo "deps: all ${#PACKAGES[@]} packages installed"
	exit 0
fi
echo "deps: installing ${#MISSING[@]} missing packages: ${MISSING[*]}"

SUDO=()
if ((EUID != 0)); then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		echo "deps: must run as root (or with sudo available)" >&2
		exit 1
	fi
fi

export DEBIAN_FRONTEND=noninteractive
# No system Postfix: main.cf stays absent and nothing is started.
printf '%s\n' \
	"postfix postfix/main_mailer_type select No configuration" \
	"postfix postfix/mailname string localhost" |
	"${SUDO[@]}" debconf-set-selections

APT_OPTS=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
attempt=1
until "${SUDO[@]}" apt-get update -q &&
	"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install "${APT_OPTS[@]}" "${MISSING[@]}"; do
	if ((attempt >= 3)); then
		echo "deps: apt-get failed $attempt times" >&2
		exit 1
	fi
	echo "deps: apt-get failed, retrying in $((attempt * 10)) s" >&2
	sleep $((attempt * 10))
	attempt=$((attempt + 1))
done

mapfile -t STILL < <(missing_packages)
if ((${#STILL[@]} > 0)); then
	echo "deps: still missing after install: ${STILL[*]}" >&2
	exit 1
fi
echo "deps: done"
