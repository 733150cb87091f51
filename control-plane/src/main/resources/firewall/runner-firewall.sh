#!/bin/sh
# The runner network's firewall, run by the Docker launcher in a short-lived container on the
# engine's host (network host, NET_ADMIN, NET_RAW). Idempotent: the chains MBI-F-<bridge> (hooked
# into DOCKER-USER, or FORWARD when Docker does not manage the firewall) and MBI-I-<bridge>
# (hooked into INPUT: what runners send to the host's own addresses) are replaced as a whole and
# hooked once. Input, from the launcher:
#   MBI_BRIDGE                  the network's bridge interface
#   MBI_FORWARD4, MBI_INPUT4    rules of the two IPv4 chains, one a line (without "-A CHAIN")
#   MBI_FORWARD6, MBI_INPUT6    the same for IPv6 (empty: IPv6 is off on the network)
set -eu
bridge=$MBI_BRIDGE
fwd="MBI-F-$bridge"
inp="MBI-I-$bridge"

# The backend the host uses (iptables-nft on Debian 12, legacy elsewhere): the one that already
# holds rules, as Kubernetes' iptables-wrapper decides. Rules in the other would be invisible there.
backend() {
  legacy=$("$1-legacy-save" 2>/dev/null | grep -c '^-' || true)
  nft=$("$1-nft-save" 2>/dev/null | grep -c '^-' || true)
  if [ "${legacy:-0}" -gt "${nft:-0}" ]; then echo "$1-legacy"; else echo "$1-nft"; fi
}

# Docker's embedded DNS (127.0.0.11) forwards from the container's namespace to the host's
# resolvers, which are often private addresses: those stay reachable on port 53.
nameservers() {
  awk -v fam="$1" '$1 == "nameserver" {
      if (fam == 4 && $2 ~ /^[0-9.]+$/ && $2 !~ /^127\./) print $2
      if (fam == 6 && $2 ~ /:/ && $2 != "::1") print $2
    }' /etc/resolv.conf 2>/dev/null || true
}

apply() {
  fam=$1 ipt=$2 forward_rules=$3 input_rules=$4
  hook=FORWARD
  if "$ipt" -n -L DOCKER-USER >/dev/null 2>&1; then hook=DOCKER-USER; fi
  {
    echo '*filter'
    echo ":$fwd - [0:0]"
    echo ":$inp - [0:0]"
    for chain in "$fwd" "$inp"; do
      for ns in $(nameservers "$fam"); do
        echo "-A $chain -d $ns -p udp --dport 53 -j ACCEPT"
        echo "-A $chain -d $ns -p tcp --dport 53 -j ACCEPT"
      done
    done
    printf '%s\n' "$forward_rules" | sed -n "s/^-/-A $fwd -/p"
    printf '%s\n' "$input_rules" | sed -n "s/^-/-A $inp -/p"
    echo COMMIT
  } | "$ipt-restore" --noflush
  "$ipt" -C "$hook" -i "$bridge" -j "$fwd" 2>/dev/null || "$ipt" -I "$hook" 1 -i "$bridge" -j "$fwd"
  "$ipt" -C INPUT -i "$bridge" -j "$inp" 2>/dev/null || "$ipt" -I INPUT 1 -i "$bridge" -j "$inp"
  echo "$ipt: $hook -> $fwd ($("$ipt" -S "$fwd" | grep -c '^-A') rules), INPUT -> $inp ($("$ipt" -S "$inp" | grep -c '^-A') rules)"
}

apply 4 "$(backend iptables)" "$MBI_FORWARD4" "$MBI_INPUT4"
if [ -n "${MBI_FORWARD6:-}" ]; then
  apply 6 "$(backend ip6tables)" "$MBI_FORWARD6" "$MBI_INPUT6"
fi
