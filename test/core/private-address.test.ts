// @module-tag floor
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { isPrivateAddress } from '../../src/core/private-address.js'

// Next.js's own check, the one its image optimizer applies to every address a host resolves to.
const require = createRequire(import.meta.url)
const next = require('next/dist/server/is-private-ip.js') as { isPrivateIp: (ip: string) => boolean }

const addresses = [
  '127.0.0.1',
  '127.255.0.9',
  '10.1.2.3',
  '172.16.0.1',
  '172.32.0.1',
  '192.168.1.1',
  '169.254.169.254',
  '100.64.0.1',
  '0.0.0.0',
  '8.8.8.8',
  '1.1.1.1',
  '203.0.113.5',
  '224.0.0.1',
  '255.255.255.255',
  '::1',
  '[::1]',
  '::',
  'fe80::1',
  'fd00::1',
  '::ffff:127.0.0.1',
  '::ffff:7f00:1',
  '::ffff:8.8.8.8',
  '2001:db8::1',
  '2002::1',
  '2606:4700:4700::1111',
  '2a00:1450:4001:80b::200e',
  'not-an-ip',
  'example.com',
]

describe('isPrivateAddress', () => {
  it.each(addresses)('judges %s as Next.js does', (address) => {
    expect(isPrivateAddress(address)).toBe(next.isPrivateIp(address))
  })

  it('has cases on both sides', () => {
    const outcomes = addresses.map(isPrivateAddress)
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(8)
    expect(outcomes.filter((outcome) => !outcome).length).toBeGreaterThan(4)
  })
})
