// @module-tag floor
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import { isAllowedRemoteImage, matchesRemotePattern, readRemoteImageRules, type RemotePattern } from '../../src/core/remote-patterns.js'

// Next.js's own matcher, the one its image optimizer applies: every case below must agree with it.
const require = createRequire(import.meta.url)
const next = require('next/dist/shared/lib/match-remote-pattern.js') as { matchRemotePattern: (pattern: RemotePattern, url: URL) => boolean }

const cases: Array<[RemotePattern, string]> = [
  [{ hostname: 'cdn.example.com' }, 'https://cdn.example.com/a.png'],
  [{ hostname: 'cdn.example.com' }, 'https://other.example.com/a.png'],
  [{ hostname: '*.example.com' }, 'https://cdn.example.com/a.png'],
  [{ hostname: '*.example.com' }, 'https://a.b.example.com/a.png'],
  [{ hostname: '**.example.com' }, 'https://a.b.example.com/a.png'],
  [{ hostname: '**.example.com' }, 'https://example.com/a.png'],
  [{ protocol: 'https', hostname: 'cdn.example.com' }, 'http://cdn.example.com/a.png'],
  [{ protocol: 'https:', hostname: 'cdn.example.com' }, 'https://cdn.example.com/a.png'],
  [{ hostname: 'cdn.example.com', port: '' }, 'https://cdn.example.com:8443/a.png'],
  [{ hostname: '127.0.0.1', port: '8443' }, 'http://127.0.0.1:8443/a.png'],
  [{ hostname: 'images.ctfassets.net', pathname: '/space/**' }, 'https://images.ctfassets.net/space/x/y/hero.png'],
  [{ hostname: 'images.ctfassets.net', pathname: '/space/**' }, 'https://images.ctfassets.net/other/hero.png'],
  [{ hostname: 'res.cloudinary.com', pathname: '/demo/image/upload/*' }, 'https://res.cloudinary.com/demo/image/upload/v1/a.png'],
  [{ hostname: 'cdn.example.com', pathname: '/**' }, 'https://cdn.example.com/.well-known/a.png'],
  [{ hostname: 'cdn.example.com', search: '?v=1' }, 'https://cdn.example.com/a.png?v=1'],
  [{ hostname: 'cdn.example.com', search: '?v=1' }, 'https://cdn.example.com/a.png?v=2'],
  [{ hostname: 'cdn.example.com', search: '' }, 'https://cdn.example.com/a.png?v=2'],
]

describe('remote patterns', () => {
  it.each(cases)('matches %j against %s as Next.js does', (pattern, url) => {
    expect(matchesRemotePattern(pattern, new URL(url))).toBe(next.matchRemotePattern(pattern, new URL(url)))
  })

  it('has cases on both sides', () => {
    const outcomes = cases.map(([pattern, url]) => matchesRemotePattern(pattern, new URL(url)))
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(4)
    expect(outcomes.filter((outcome) => !outcome).length).toBeGreaterThan(4)
  })

  it('allows a host of `domains` exactly, and what a pattern allows', () => {
    const rules = readRemoteImageRules({ domains: ['legacy.example.com'], remotePatterns: [{ hostname: 'cdn.example.com', pathname: '/img/**' }] }, [])
    expect(isAllowedRemoteImage(rules, new URL('https://legacy.example.com/any/path.png'))).toBe(true)
    expect(isAllowedRemoteImage(rules, new URL('https://sub.legacy.example.com/a.png'))).toBe(false)
    expect(isAllowedRemoteImage(rules, new URL('https://cdn.example.com/img/a.png'))).toBe(true)
    expect(isAllowedRemoteImage(rules, new URL('https://cdn.example.com/other/a.png'))).toBe(false)
    expect(isAllowedRemoteImage(readRemoteImageRules(undefined, []), new URL('https://cdn.example.com/a.png'))).toBe(false)
  })

  it('reads a URL entry by its fields, as Next.js does: no query allowed unless the URL has one', () => {
    const rules = readRemoteImageRules({ remotePatterns: [new URL('https://cdn.example.com/assets/**')] }, [])
    expect(rules.remotePatterns).toEqual([{ protocol: 'https', hostname: 'cdn.example.com', port: '', pathname: '/assets/**', search: '' }])
    expect(isAllowedRemoteImage(rules, new URL('https://cdn.example.com/assets/a.png'))).toBe(true)
    expect(isAllowedRemoteImage(rules, new URL('https://cdn.example.com/assets/a.png?w=1'))).toBe(false)
  })

  it('names each entry it cannot read and leaves it out, so that it allows nothing', () => {
    const warnings: string[] = []
    const rules = readRemoteImageRules(
      {
        remotePatterns: [
          { pathname: '/**' },
          'https://cdn.example.com',
          { hostname: 'ok.example.com', port: 443 },
          { hostname: 'ftp.example.com', protocol: 'ftp' },
          { hostname: 'fine.example.com' },
        ],
        domains: [7],
      },
      warnings,
    )
    expect(rules).toEqual({ remotePatterns: [{ hostname: 'fine.example.com' }], domains: [] })
    expect(warnings).toEqual([
      'images.remotePatterns[0] has no hostname; left out',
      'images.remotePatterns[1] is neither an object nor a URL; left out',
      'images.remotePatterns[2] has a port that is not a string; left out',
      'images.remotePatterns[3] has protocol "ftp", not http or https; left out',
      'images.domains[0] is not a host name; left out',
    ])
    const notObject: string[] = []
    expect(readRemoteImageRules('cdn.example.com', notObject)).toEqual({ remotePatterns: [], domains: [] })
    expect(notObject).toEqual(['the image config is not an object; no remote image is allowed'])
  })
})
