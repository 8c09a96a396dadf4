#!/bin/bash
# shipyard's NAT instance (components/network.py): forward and masquerade the VPC's
# (@VPC_CIDR@) traffic to the internet, and keep doing it after a reboot.
#
# cloud-init runs this once, as root, when the instance first boots. It leaves behind
#   /etc/sysctl.d/90-shipyard-nat.conf       IP forwarding, applied at every boot
#   /usr/local/sbin/shipyard-nat             the masquerading rule, written idempotently
#   /etc/systemd/system/shipyard-nat.service which runs it at every boot
# nftables where the image has nft, else iptables; only an image with neither makes it install
# nftables from the Amazon Linux repository, through the instance's own public address.
set -euo pipefail

cat > /etc/sysctl.d/90-shipyard-nat.conf <<'SYSCTL'
net.ipv4.ip_forward = 1
net.ipv4.conf.all.send_redirects = 0
SYSCTL
sysctl -q -p /etc/sysctl.d/90-shipyard-nat.conf

cat > /usr/local/sbin/shipyard-nat <<'RULES'
#!/bin/bash
# Masquerade what the VPC sends out of the interface that holds the default route.
set -euo pipefail
out=$(ip -4 route show default | awk '{print $5; exit}')
if command -v nft > /dev/null; then
  nft -f - <<NFT
table ip shipyard_nat
delete table ip shipyard_nat
table ip shipyard_nat {
  chain postrouting {
    type nat hook postrouting priority 100; policy accept;
    ip saddr @VPC_CIDR@ oifname "$out" masquerade
  }
}
NFT
else
  iptables -t nat -C POSTROUTING -s @VPC_CIDR@ -o "$out" -j MASQUERADE 2> /dev/null ||
    iptables -t nat -A POSTROUTING -s @VPC_CIDR@ -o "$out" -j MASQUERADE
fi
RULES
chmod 0755 /usr/local/sbin/shipyard-nat

cat > /etc/systemd/system/shipyard-nat.service <<'UNIT'
[Unit]
Description=shipyard NAT: masquerade the VPC's traffic
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/local/sbin/shipyard-nat

[Install]
WantedBy=multi-user.target
UNIT

if ! command -v nft > /dev/null && ! command -v iptables > /dev/null; then
  for _ in 1 2 3 4 5; do
    dnf -y -q install nftables && break
    sleep 20
  done
fi
systemctl daemon-reload
systemctl enable --now shipyard-nat.service
