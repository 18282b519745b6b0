// Which addresses Next.js's image optimizer refuses to fetch from unless `images.dangerouslyAllowLocalIP`:
// every address whose ipaddr.js range is not "unicast" (next/dist/server/is-private-ip.js, checked on each
// address a host name resolves to). The ranges are ipaddr.js's SpecialRanges, the library Next.js uses.
import { BlockList, isIP } from 'node:net'

const IPV4_RANGES: Array<[string, number]> = [
  ['0.0.0.0', 8], // unspecified
  ['255.255.255.255', 32], // broadcast
  ['224.0.0.0', 4], // multicast
  ['169.254.0.0', 16], // link-local
  ['127.0.0.0', 8], // loopback
  ['100.64.0.0', 10], // carrier-grade NAT
  ['10.0.0.0', 8], // private
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['192.0.0.0', 24], // reserved
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['240.0.0.0', 4],
  ['192.175.48.0', 24], // as112
  ['192.31.196.0', 24],
  ['192.52.193.0', 24], // amt
]

const IPV6_RANGES: Array<[string, number]> = [
  ['::', 128], // unspecified
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['100::', 64], // discard
  ['::ffff:0:0:0', 96], // rfc6145
  ['64:ff9b::', 96], // rfc6052
  ['2002::', 16], // 6to4
  ['2001::', 32], // teredo
  ['2001:2::', 48], // benchmarking
  ['2001:3::', 32], // amt
  ['2001:4:112::', 48], // as112v6
  ['2620:4f:8000::', 48],
  ['2001:10::', 28], // deprecated
  ['2001:20::', 28], // orchid2
  ['2001:30::', 28], // drone remote id
  ['2001::', 23], // reserved
  ['2001:db8::', 32],
]

let notUnicast: BlockList | undefined
function blockList(): BlockList {
  if (notUnicast) return notUnicast
  notUnicast = new BlockList()
  for (const [address, prefix] of IPV4_RANGES) notUnicast.addSubnet(address, prefix, 'ipv4')
  for (const [address, prefix] of IPV6_RANGES) notUnicast.addSubnet(address, prefix, 'ipv6')
  return notUnicast
}

/**
 * Whether Next.js counts `address` (an IP literal, brackets allowed) as private. An IPv4 address mapped
 * into IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address, as Next.js does (BlockList maps it). Not an
 * IP: false.
 */
export function isPrivateAddress(address: string): boolean {
  const literal = address.replace(/^\[|\]$/g, '')
  const family = isIP(literal)
  if (family === 0) return false
  return blockList().check(literal, family === 4 ? 'ipv4' : 'ipv6')
}
